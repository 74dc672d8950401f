"""`borderscape brief`: a briefing that leads with findings, in English, Spanish, Italian and French.

Real data (built once per session by :func:`built`, shared with test_browser_brief.py and
test_i18n.py): ``borderscape brief arizona-sonora --lang es`` and ``borderscape brief central-med
--lang it`` run their studies; the English central-Mediterranean briefing is written from that run
(``--from``), the Arizona one is rendered in memory.  Their PDFs are read back with pypdf.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import io
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from borderscape.brief import PDFError, brief_html, run_page, write_pdf
from borderscape.cli import main
from borderscape.i18n import Translator
from borderscape.readings import Context, chance_words, composition_table, finding, headline, number, robustness_table
from borderscape.runfolder import read_run

HOSTILE = "<img src=x onerror=alert(1)>"
_BUILT: dict[str, Path | Exception] = {}
#: Command-line text that only the final "How to reproduce" section may hold.
COMMAND_LINE = re.compile(r"--[a-z]|`|BORDERSCAPE_DATA|borderscape (run|brief|fetch)|\bDIR\b|\bFILE\b")
SCIENTIFIC = re.compile(r"\d[eE][-+]?\d")


def hostile_study(folder: Path) -> Path:
    """central-med.toml with a hostile title, description, caveat and intervention name, fewer
    permutations, and without its crossings and incidents layers (so M1, M4 and M6 are skipped with
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
    """The output folder of ``borderscape brief`` (built once per session through the command line):
    ``arizona-es`` (``brief arizona-sonora --lang es``), ``central-med-it`` (``brief central-med
    --lang it``), ``central-med`` (English, ``brief --from`` the Italian one's run), ``hostile``,
    ``demo``."""
    if kind not in _BUILT:
        out = factory.mktemp(f"brief-{kind}") / "brief"
        if kind == "central-med":
            run = built("central-med-it", factory, data_dir) / "run"
            args = ["brief", "--from", str(run), "--out", str(out), "--data-dir", str(data_dir)]
        elif kind in ("arizona-es", "central-med-it"):
            study, lang = {"arizona-es": ("arizona-sonora", "es"), "central-med-it": ("central-med", "it")}[kind]
            args = ["brief", study, "--data-dir", str(data_dir), "--out", str(out), "--lang", lang]
        else:
            study = "demo" if kind == "demo" else str(hostile_study(out.parent))
            args = ["brief", study, "--data-dir", str(data_dir), "--out", str(out)]
        errors = io.StringIO()
        with contextlib.redirect_stderr(errors):
            code = main(args)
        if code == 0 and kind == "central-med":
            (out / "run").symlink_to(run)  # the run behind the English briefing, as beside the others
        _BUILT[kind] = (
            out if code == 0 else RuntimeError(f"borderscape {' '.join(args)}: exit {code}: {errors.getvalue()}")
        )
    found = _BUILT[kind]
    if isinstance(found, Exception):
        pytest.fail(str(found))  # said once per build, not rebuilt for every test that needs it
    return found


@pytest.fixture(scope="module")
def central(tmp_path_factory, data_dir) -> Path:
    return built("central-med", tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def central_it(tmp_path_factory, data_dir) -> Path:
    return built("central-med-it", tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def arizona_es(tmp_path_factory, data_dir) -> Path:
    return built("arizona-es", tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def arizona_en(arizona_es, data_dir) -> str:
    return run_page(read_run(arizona_es / "run"), lang="en", data_dir=data_dir)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, data_dir) -> Path:
    return built("hostile", tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, data_dir) -> Path:
    return built("demo", tmp_path_factory, data_dir)


def pdf_text(path: Path) -> list[str]:
    """The text of each page of a PDF (pypdf)."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


class _Visible(HTMLParser):
    """The text a reader sees: no style, no SVG markup attributes, no code."""

    SKIP = {"style", "script", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def summary(page: str) -> str:
    """The HTML of page 1 (the summary section)."""
    return page[page.index('<section class="summary"') : page.index("</section>")]


def external_references(page: str) -> list[str]:
    """Script, style sheet, frame, image or font references that would leave the file."""
    found = re.findall(r"<(?:script|link|iframe|object|embed)\b[^>]*>", page, re.I)
    found += re.findall(r"""\b(?:src|srcset|data|poster)\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]*""", page, re.I)
    found += re.findall(r"""<(?:img|image|use|a|link)\b[^>]*\bhref\s*=\s*["']\s*(?:https?:)?//[^"']*""", page, re.I)
    found += re.findall(r"url\(\s*['\"]?\s*(?:https?:)?//[^)]*\)|@import", page, re.I)
    return found


def ran_primaries(folder: Path) -> list[dict]:
    results = json.loads((folder / "run" / "results.json").read_text(encoding="utf-8"))
    return [t for t in results["tests"] if t["role"] == "primary" and t["status"] == "ran"]


def local(text: str) -> float:
    """A number written with a decimal comma and a dot or space for thousands, as a float."""
    return float(text.replace(".", "").replace("\u202f", "").replace("\u00a0", "").replace(",", "."))


# -- the two briefings the issue asks for ------------------------------------------------------


def test_arizona_briefing_in_spanish_leads_with_findings(arizona_es):
    """Page 1 of the Spanish PDF: the key findings as sentences with their intervals, written with a
    decimal comma, the study-area map's caption, one line on what could not be assessed and why; no
    scientific notation, no command-line text (that is in the final section only)."""
    pages = pdf_text(arizona_es / "brief.pdf")
    first = " ".join(pages[0].split())
    assert first.startswith("Arizona–Sonora: torres de vigilancia y la geografía de la disuasión")
    assert "Hallazgos principales" in first and "La zona de estudio." in first
    assert not SCIENTIFIC.search(first) and not COMMAND_LINE.search(first), first
    primaries = {t["id"]: t for t in ran_primaries(arizona_es)}
    assert set(primaries) == {"H2.road_distance", "H4.trend", "H5"}
    road = primaries["H2.road_distance"]
    m = re.search(
        r"La distancia mediana entre los restos y la carretera más cercana fue (\d+,\d) km (mayor|menor) para los "
        r"hallados después del 21 de septiembre de 2006 que para los hallados antes \(intervalo del 95 %: "
        r"(-?\d+,\d+) a (-?\d+,\d+) km\)",
        first,
    )
    assert m, first
    assert local(m.group(1)) == pytest.approx(abs(road["estimate"]) / 1000, abs=0.05)
    assert m.group(2) == ("mayor" if road["estimate"] > 0 else "menor")
    assert [local(m.group(3)), local(m.group(4))] == pytest.approx([c / 1000 for c in road["ci"]], abs=0.05)
    trend = primaries["H4.trend"]
    m = re.search(r"disminuyeron un (\d+) % al año entre oct 2019 y sept 2024", first)
    assert m and trend["estimate"] < 1 and int(m.group(1)) == pytest.approx(100 * (1 - trend["estimate"]), abs=0.5)
    # chance is said from the adjusted p-value, the adjustment once under the findings
    for t in primaries.values():
        verdict = "poco probable que se deba solo al azar" if t["p_adjusted"] < 0.05 else "Podría deberse al azar"
        assert verdict in first
    assert "ajustado por las 3 preguntas planteadas" in first
    assert "Sin evaluar:" in first and "(H1)" in first and "(H3)" in first and "ubicaciones de las torres" in first
    # "véase la página N": page N holds that question's primary result
    refs = [int(n) for n in re.findall(r"véase la página (\d+)", first)]
    assert len(refs) == 4  # three findings and the caveats
    for t, n in zip(primaries.values(), refs):
        assert t["id"] in " ".join(pages[n - 1].split()), (t["id"], n)
    last = " ".join(pages[-1].split()) + " ".join(pages[-2].split())
    assert "Cómo reproducir este informe" in last and "--towers FILE" in last
    page = (arizona_es / "brief.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in page
    top = visible_text(summary(page))
    assert not SCIENTIFIC.search(top) and not COMMAND_LINE.search(top)
    assert summary(page).count("<li>") == 3


def test_central_med_briefing_in_italian_leads_with_findings(central_it):
    pages = pdf_text(central_it / "brief.pdf")
    first = " ".join(pages[0].split())
    assert first.startswith("Mediterraneo centrale: sorveglianza, ricerca e soccorso, e morti in mare")
    assert "Risultati principali" in first and "L'area di studio." in first
    assert not SCIENTIFIC.search(first) and not COMMAND_LINE.search(first), first
    assert "È stato possibile valutare tutte le domande di questo studio." in first
    primaries = ran_primaries(central_it)
    page = (central_it / "brief.html").read_text(encoding="utf-8")
    assert '<html lang="it">' in page and summary(page).count("<li>") == len(primaries) >= 5
    change = next(t for t in primaries if t["id"] == "M1.change")
    m = re.search(
        r"sono state (\d+,\d+|\d+) volte quelle del periodo .*?\(intervallo al 95%: da (\d+,\d+) a (\d+,\d+)\)", first
    )
    assert m, first
    assert local(m.group(1)) == pytest.approx(change["estimate"], abs=0.05)
    assert [local(m.group(2)), local(m.group(3))] == pytest.approx(change["ci"], rel=0.05)
    # each "vedi pagina N" leads to the page where that question's primary result is
    refs = [int(n) for n in re.findall(r"vedi pagina (\d+)", first)]
    assert len(refs) == len(primaries) + 1  # the findings, and the caveats
    for t, n in zip(primaries, refs):
        assert t["id"] in " ".join(pages[n - 1].split()), (t["id"], n)
    assert "Avvertenze" in pages[refs[-1] - 1] or "Allegato C" in pages[refs[-1] - 1]


def test_english_briefings_are_coherent_and_in_one_unit_per_quantity(central, arizona_en):
    """No contradicting caveats, no sea in the desert, no dangling "below", per 10,000 encounters as in
    the chart, no "a ratio of 1" beside a trend, no p-value in scientific notation."""
    az = visible_text(arizona_en)
    assert (
        not re.search(r"\bthe sea\b", az, re.I)
        and "not where they walked" not in az
        and "found where people died" not in az
    )
    assert "Remains are recorded where they were found" in az
    assert "per 100,000" not in az and "per 10,000 Border Patrol encounters" in az
    assert "a ratio of 1 means no difference" not in az
    stated = arizona_en.index("assumptions stated below")
    assert arizona_en.index('class="assumptions"') > stated  # the assumptions are below the caveat
    med = (central / "brief.html").read_text(encoding="utf-8")
    text = visible_text(med)
    for words in (az, text):
        assert not SCIENTIFIC.search(words), SCIENTIFIC.search(words)
    assert "found where people died" not in text and "per 1,000" in text
    assert not COMMAND_LINE.search(visible_text(summary(med)))
    # the figures' own titles and 5-point source footers are gone: the captions and source lines say it
    assert not re.search(r"<text[^>]*>Sources:", med) and med.count('<span class="src">Sources:') >= 3


def test_central_med_english_briefing_structure(central):
    page = (central / "brief.html").read_text(encoding="utf-8")
    pdf = central / "brief.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-") and len(pdf_text(pdf)) > 5
    for stem in ("study_area", "mortality_per_crossing", "coverage_growth", "hotspots_by_period"):
        assert (central / "run" / "figures" / f"{stem}.png").is_file(), stem
        assert f'id="fig-{stem}"' in page, stem
    assert page.count("<svg") >= 4 and "<script" not in page.lower()
    assert "@media print" in page and "@page" in page and "size: A4" in page
    assert external_references(page) == []
    results = json.loads((central / "run" / "results.json").read_text(encoding="utf-8"))
    questions = {t["id"].split(".")[0] for t in results["tests"]}
    assert page.count('<section class="question"') == len(questions)
    assert "Holm 1979" in page and "Benjamini and Hochberg 1995" in page
    assert page.index('id="results"') < page.index('id="method"') < page.index('id="caveats"')
    assert page.index('id="sources"') < page.index('id="reproduce"')


def test_every_result_is_in_the_annex_with_the_right_words(central):
    """Every result that ran is in the annex with its n; a test's sentence follows its adjusted
    p-value; a descriptive result has no p-value language; ratios are printed as they are."""
    page = html.unescape((central / "brief.html").read_text(encoding="utf-8"))
    results = json.loads((central / "run" / "results.json").read_text(encoding="utf-8"))
    ran = [t for t in results["tests"] if t["status"] == "ran"]
    assert len(ran) > 50
    for t in ran:
        item = re.search(rf'id="t-{re.escape(t["id"])}">(.*?)</(?:li|p)>', page, re.S)
        assert item, t["id"]
        text = item.group(1)
        assert f"n = {t['n']:,}" in text, t["id"]
        if t["null_value"] == 1.0 and not t["id"].startswith("H4.trend"):
            assert number(t["estimate"]) in text, (t["id"], t["estimate"])
        if t["role"] == "descriptive" or t["p_value"] is None:
            assert "p =" not in text and "p <" not in text and "chance" not in text, t["id"]
            continue
        adjusted = "p < 0.001" if t["p_adjusted"] < 0.001 else f"p = {t['p_adjusted']:.2g}"
        assert f"adjusted {adjusted}" in text, (t["id"], t["p_adjusted"])
        verdict = "unlikely to be chance alone" if t["p_adjusted"] < 0.05 else "could be chance"
        assert verdict in text, t["id"]
    for s in results["sources"]:
        assert s["publisher"] in page
    for c in results["caveats"]:
        assert c in page


def test_no_half_blank_pages(arizona_es, central_it):
    """Every page but the last is filled at least to 55 % of its height (pages rendered at 12 dpi)."""
    from PIL import Image

    for folder in (arizona_es, central_it):
        out = folder / "pages"
        out.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-r", "12", "-gray", "-png", str(folder / "brief.pdf"), str(out / "p")], check=True)
        files = sorted(out.glob("p-*.png"))
        assert len(files) > 5
        for path in files[:-1]:
            image = Image.open(path).convert("L")
            width, height = image.size
            pixels = image.load()
            rows = [y for y in range(height) if any(pixels[x, y] < 200 for x in range(width))]
            footer = [y for y in rows if y > 0.9 * height]  # the page number
            body = [y for y in rows if y not in footer]
            assert body and max(body) > 0.55 * height, (folder.name, path.name, max(body or [0]) / height)


def test_no_name_of_the_dead_in_the_arizona_briefing(arizona_es, arizona_en, data_dir):
    from test_no_names import count_names, name_forms

    forms = name_forms(data_dir)
    assert forms  # the check reads the names (in memory only)
    texts = [(arizona_es / "brief.html").read_text(encoding="utf-8"), arizona_en, *pdf_text(arizona_es / "brief.pdf")]
    assert sum(count_names(text, forms) for text in texts) == 0


def test_hostile_text_is_escaped_everywhere(hostile):
    page = (hostile / "brief.html").read_text(encoding="utf-8")
    assert "<img" not in page.lower()
    escaped = html.escape(HOSTILE)
    # title (<title> and <h1>), description, caveat, intervention
    assert page.count(escaped) >= 5
    assert external_references(page) == []
    assert (hostile / "brief.pdf").read_bytes().startswith(b"%PDF-")
    results = json.loads((hostile / "run" / "results.json").read_text(encoding="utf-8"))
    skipped = [t for t in results["tests"] if t["status"] == "skipped"]
    assert {t["id"].split(".")[0] for t in skipped} >= {"M1", "M4"}
    for t in skipped:
        assert f'<code translate="no">{html.escape(t["id"])}</code>' in page
    assert "boat incident records" in page and "crossing counts by month" in page  # why, in words


def test_demo_brief_says_simulated(demo):
    page = (demo / "brief.html").read_text(encoding="utf-8")
    results = json.loads((demo / "run" / "results.json").read_text(encoding="utf-8"))
    assert results["simulated"] is True
    assert re.search(r"<title>SIMULATED DATA", page) and 'class="sim"' in page
    assert '@top-center { content: "SIMULATED DATA"' in page  # on every printed page
    assert "A generated border world (borderscape demo, seed 0)" in page
    for t in results["tests"]:
        assert f'<code translate="no">{html.escape(t["id"])}</code>' in page, t["id"]
    figures = {p.stem for p in (demo / "run" / "figures").glob("*.svg")}
    assert {"study_area", "mortality_per_encounter", "coverage_growth", "cross_l_envelope"} <= figures
    assert len(pdf_text(demo / "brief.pdf")) > 1


def test_unknown_study_and_language_are_typed_errors(tmp_path, capsys):
    assert main(["brief", "no-such-study", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "no shipped study" in err and "central-med" in err and "Traceback" not in err
    assert not (tmp_path / "b" / "brief.html").exists()
    assert main(["brief", "--from", str(tmp_path), "--out", str(tmp_path / "b"), "--lang", "de"]) == 2
    assert "'de' is not one of" in capsys.readouterr().err


def test_missing_weasyprint_is_a_typed_error_after_the_html(tmp_path, monkeypatch):
    page = tmp_path / "brief.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p></body></html>", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    with pytest.raises(PDFError) as info:
        write_pdf(page, tmp_path / "brief.pdf")
    assert "pip install weasyprint" in info.value.remedy and "pango" in info.value.remedy.lower()
    assert not (tmp_path / "brief.pdf").exists() and not list(tmp_path.glob("*.pdf*"))


# -- checks against the published record -------------------------------------------------------------


def check_rows(page: str) -> list[tuple[str, list[str]]]:
    """(verdict class, visible cells) of each row of the checks table; a reason row is ("why", [text])."""
    section = page[page.index('<section class="checks"') :]
    section = section[: section.index("</section>")]
    rows = re.findall(r'<tr class="(check-[\w-]+|why)">(.*?)</tr>', section, re.S)
    return [(k, [visible_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]) for k, r in rows]


def test_arizona_checks_against_the_published_record(arizona_en, arizona_es):
    """After the results annex, the Bansak, Pima and White rows, each with its published value and
    citation number, ours, the tolerance and the verdict; a difference says by how much and why."""
    page = arizona_en
    assert page.index('id="results"') < page.index('id="checks"') < page.index('id="method"')
    rows = check_rows(page)
    checks = [(k, cells) for k, cells in rows if k != "why"]
    assert len(checks) == 17  # 4 counts, 4 grid, 6 Pima summaries, 3 White
    pre = checks[0][1]
    assert pre[0].startswith("Records before the Secure Fence Act (found 2000–2007")
    assert pre[1:] == ["1,215 [1]", "1,215", "exact", "agrees"] and checks[0][0] == "check-agree"
    unfiltered = next(i for i, (k, c) in enumerate(rows) if c[0].startswith("Records found 2000–2019"))
    assert rows[unfiltered][1][1:] == ["3,041 [1]", "3,155", "exact", "differs by +114"]
    assert rows[unfiltered + 1][0] == "why" and rows[unfiltered + 1][1][0].startswith(
        "114 records found 2008–2019 have no post-mortem interval"
    )
    whats = " ".join(c[0] for _, c in checks)
    assert "Remains recovered in 2019" in whats and "Size of the slope effect" in whats
    assert "Libyan" not in whats and "flight" not in whats
    for k, cells in checks:  # every difference has its reason row, every agreement none
        assert (k == "check-differ") == cells[-1].startswith("differs by"), cells
    assert sum(k == "why" for k, _ in rows) == sum(k == "check-differ" for k, _ in checks) >= 5
    section = visible_text(page[page.index('id="checks"') : page.index('id="method"')])
    assert "differences are reported, not hidden" in section
    assert "[1] Bansak, Blanco, Coon & Dieringer (2025)" in section and "[6] White, J. et al. (2025)" in section
    assert not SCIENTIFIC.search(section) and not COMMAND_LINE.search(section)
    assert "checks-not-run" not in page
    # the Spanish PDF has the section, numbers written the Spanish way
    text = " ".join(" ".join(pdf_text(arizona_es / "brief.pdf")).split())
    assert "Contraste con las cifras publicadas" in text and "1.215 [1] 1.215 igualdad exacta coincide" in text


def test_central_med_checks_against_the_published_record(central, central_it):
    """The IOM and HRW rows (the 2021 Libyan interceptions 32,425 agree with both); no Arizona row and no
    flight row (the run had no flight tracks)."""
    page = (central / "brief.html").read_text(encoding="utf-8")
    checks = [(k, c) for k, c in check_rows(page) if k != "why"]
    libya = [c for _, c in checks if c[0] == "Interceptions by the Libyan coast guard in 2021"]
    assert libya == [
        ["Interceptions by the Libyan coast guard in 2021", "32,425 [1]", "32,425", "exact", "agrees"],
        [
            "Interceptions by the Libyan coast guard in 2021",
            "more than 32,400 [2]",
            "32,425",
            "above the published bound",
            "agrees",
        ],
    ]
    assert len(checks) == 4 and checks[0][1][0].startswith("Months whose central-Mediterranean death rate")
    section = visible_text(page[page.index('id="checks"') : page.index('id="method"')])
    assert "[1] IOM Missing Migrants Project" in section and "[2] Human Rights Watch & Border Forensics" in section
    assert "Secure Fence" not in section and "Spearman" not in section
    assert "Tunisian" in section  # why the monthly rates differ
    it = (central_it / "brief.html").read_text(encoding="utf-8")
    assert "Confronto con i dati pubblicati" in it and "più di 32.400" in it


def test_no_checks_for_the_demo_or_a_run_on_the_user_s_own_files(demo, central, data_dir):
    page = (demo / "brief.html").read_text(encoding="utf-8")
    assert 'id="checks"' not in page and "checks-not-run" not in page and "replicate" not in page
    run = read_run(central / "run")
    own = dataclasses.replace(
        run, results={**run.results, "sources": [{**s, "id": "file"} for s in run.results["sources"]]}
    )
    page = run_page(own, data_dir=data_dir)
    assert 'id="checks"' not in page and "checks-not-run" not in page


def test_without_the_data_folder_how_to_reproduce_says_how_to_run_the_checks(central, tmp_path, monkeypatch):
    from borderscape import settings

    run = read_run(central / "run")
    monkeypatch.setattr(settings, "data_dir", None)
    for folder in (tmp_path / "absent", None):
        page = run_page(run, data_dir=folder)
        assert 'id="checks"' not in page
        before, reproduce = page.split('<section class="reproduce"')
        assert "checks-not-run" not in before and "replicate" not in before
        line = html.unescape(re.sub(r"<[^>]+>", "", re.search(r'<p id="checks-not-run">(.*?)</p>', reproduce).group(1)))
        assert line == (
            "The checks against the published record could not be run: no data folder holding their files was "
            "available when this briefing was written. To run them: borderscape replicate --data-dir DIR; to add "
            "them to this briefing: borderscape brief --from OUT --out BRIEF --data-dir DIR."
        )
        assert '<code translate="no">borderscape replicate --data-dir DIR</code>' in reproduce


# -- sentences, by kind of effect ----------------------------------------------------------------


def _result(id: str, role: str, **extra) -> dict:
    """A ``results.json`` test that ran (defaults: H2's difference of medians in metres)."""
    base = {
        "id": id,
        "name": "distance from remains to the nearest road: median after minus median before 2006-09-21 (m)",
        "status": "ran",
        "reason": "",
        "estimate": 6690.0,
        "ci": [4902.0, 8389.0],
        "p_value": 0.0002,
        "p_adjusted": 0.0006,
        "n": 4121,
        "method": f"method of {id}",
        "parameters": {"split": "2006-09-21", "unit": "m"},
        "role": role,
        "null_value": 0.0,
        "direction": "increase" if role == "primary" else None,
        "caveats": [],
        "sensitivity": [],
        "composition": [],
    }
    return {**base, **extra}


def _ctx(lang: str = "en", n: int = 3) -> Context:
    return Context(
        Translator(lang),
        events={"2006-09-21": "SBInet contract awarded (Secure Border Initiative)"},
        families={"primary": n},
    )


def _sentence(test: dict, lang: str = "en") -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(finding(test, _ctx(lang), "q")))).split())


def test_findings_are_worded_by_kind_of_effect():
    """A difference says farther or closer, a yearly ratio a percentage change a year, a ratio how
    many times, a change of a share percentage points; each with its interval in the same unit."""
    road = _sentence(_result("H2.road_distance", "primary"))
    assert road.startswith(
        "Remains found after September 21, 2006 lay a median 6.7 km farther from the nearest road than remains "
        "found before (95% interval: 4.9 to 8.4 km). This is unlikely to be chance alone (adjusted p < 0.001)."
    )
    closer = _sentence(_result("H2.road_distance", "primary", estimate=-2310.0, ci=[-3100.0, -1200.0]))
    assert "a median 2.3 km closer to the nearest road" in closer and "(95% interval: -3.1 to -1.2 km)" in closer
    assert "Against the direction the study expected (an increase)." in closer
    es = _sentence(_result("H2.road_distance", "primary"), "es")
    assert es.startswith(
        "La distancia mediana entre los restos y la carretera más cercana fue 6,7 km mayor para los hallados "
        "después del 21 de septiembre de 2006 que para los hallados antes (intervalo del 95 %: 4,9 a 8,4 km)."
    )
    trend = _result(
        "H4.trend",
        "primary",
        name="deaths per encounter: rate ratio per year over the series",
        estimate=0.62,
        ci=[0.53, 0.74],
        null_value=1.0,
        parameters={"first_month": "2019-10-01", "last_month": "2024-09-01"},
    )
    text = _sentence(trend)
    assert text.startswith(
        "Recovered remains per Border Patrol encounter fell by 38% a year from Oct 2019 to Sep 2024 "
        "(95% interval: -47% to -26% a year)."
    )
    assert "ratio of 1" not in text
    ratio = _result(
        "M4.aerial",
        "primary",
        name="share of boats with deaths (risk ratio)",
        estimate=1.34,
        ci=[0.71, 2.46],
        null_value=1.0,
        p_adjusted=0.6,
        direction="either",
        parameters={},
    )
    assert _sentence(ratio).startswith(
        "Boats first detected by aircraft had deaths 1.3 times as often as boats first detected by a patrol vessel "
        "(95% interval: 0.71 to 2.5). This could be chance (adjusted p = 0.6)."
    )
    share = _result(
        "M3.LBY.2018-06-28",
        "primary",
        name="share",
        estimate=-0.073,
        ci=[-0.232, 0.073],
        parameters={"split": "2018-07-01"},
        direction="either",
        p_adjusted=0.67,
    )
    assert "was 7.3 percentage points lower than before (95% interval: -23 to 7.3 percentage points)" in _sentence(
        share
    )
    assert "fue 7,3 puntos porcentuales más baja que antes" in _sentence(share, "es")


def test_page_one_says_robustness_and_what_else_changed():
    variants = [
        {"name": "GPS-located records only", "estimate": 7160.0, "ci": [5040.0, 8950.0], "n": 3062, "note": ""},
        {"name": "corridor Ajo only", "estimate": -300.0, "ci": [-900.0, 400.0], "n": 335, "note": ""},
        {
            "name": "placebo split at 2002-09-21 (records before 2006-09-21 only)",
            "estimate": -97.0,
            "ci": [-2050.0, 1550.0],
            "n": 977,
            "note": "",
        },
    ]
    composition = [
        {
            "variable": "location precision",
            "level": "GPS Coordinate (precise to within ca. 300ft./100m)",
            "before": 0.362,
            "after": 0.861,
            "n_before": 977,
            "n_after": 3144,
        },
        {"variable": "corridor", "level": "Ajo", "before": 0.096, "after": 0.077, "n_before": 977, "n_after": 3144},
    ]
    text = _sentence(_result("H2.road_distance", "primary", sensitivity=variants, composition=composition))
    assert "1 of 2 robustness checks point the same way." in text  # the placebo split is not a check
    assert "location precision “GPS Coordinate”, 36% before and 86% after." in text
    assert text.endswith("— see page details")  # "see page N" in print, "details" on screen


def test_chance_is_decided_by_the_adjusted_p_value_and_descriptive_results_have_none(tmp_path):
    raw_small = _result("H2.road_distance", "primary", p_value=0.01, p_adjusted=0.2)
    assert chance_words(raw_small, 2) == (
        "After adjusting for the 2 questions tested, could be chance (adjusted p = 0.2; unadjusted p = 0.01)."
    )
    assert "could be chance" in _sentence(raw_small) and "unlikely" not in _sentence(raw_small)
    second = _result("H2.slope", "secondary", p_value=0.01, p_adjusted=0.04)
    assert chance_words(second, 1) == (
        "After adjusting for the one secondary result of H2, unlikely to be chance alone "
        "(adjusted p = 0.04; unadjusted p = 0.01)."
    )
    assert chance_words(second, 1, Translator("fr")) == (
        "Après ajustement pour le seul résultat secondaire de H2, il est peu probable que cela soit dû au seul "
        "hasard (p ajusté = 0,04 ; p non ajusté = 0,01)."
    )
    assert chance_words({**second, "p_adjusted": None}, 3) == (
        "Not adjusted for the other tests, so not judged against chance (unadjusted p = 0.01)."
    )
    described = _result(
        "H4",
        "descriptive",
        name="deaths per 100,000 encounters",
        estimate=72.9,
        ci=[62.3, 85.4],
        p_value=0.003,
        p_adjusted=None,
        parameters={"per": 100000.0},
        null_value=0.0,
    )
    assert chance_words(described, 5) == ""
    for lang, words in (("en", ("p =", "p <", "chance", "adjusted")), ("es", ("p =", "azar", "ajustad"))):
        text = headline(described, None, _ctx(lang))
        assert not [w for w in words if w in text], text
    # H4's rate per 100,000 encounters is written per 10,000, as the chart has it
    assert headline(described, None, _ctx()).startswith(
        "Recovered remains per 10,000 Border Patrol encounters, whole series: 7.29 (95% interval: 6.23 to 8.54"
    )
    page = brief_html(
        {"study": "s", "seed": 1, "simulated": False, "caveats": [], "sources": [], "tests": [raw_small, described]},
        title="t",
        description="d",
        figures=tmp_path,
    )
    section = page[page.index('id="q-H4"') :]
    assert 'id="t-H4"' in section and "chance" not in visible_text(section[: section.index("</section>")])


def test_caveats_of_a_question_are_said_once_with_the_results_they_concern(tmp_path):
    caveat = "COVID-19 began within 12 months of the split <b>"
    against = "The estimate lies against the direction declared in the study file (increase)."
    primary = _result(
        "H4.trend",
        "primary",
        name="deaths per encounter",
        estimate=0.6,
        ci=[0.5, 0.7],
        null_value=1.0,
        caveats=[caveat, against],
    )
    other = _result(
        "H4.rate_ratio",
        "descriptive",
        name="rate ratio",
        estimate=0.3,
        ci=[0.2, 0.5],
        null_value=1.0,
        caveats=[caveat],
        p_adjusted=None,
    )
    page = brief_html(
        {"study": "s", "seed": 1, "simulated": False, "caveats": [], "sources": [], "tests": [primary, other]},
        title="t",
        description="d",
        figures=tmp_path,
    )
    assert page.count(html.escape(caveat)) == 1 and "(H4.trend, H4.rate_ratio)" in page
    assert against not in page and "Against the direction the study expected (an increase)." in page
    assert "COVID-19 began within 12 months of the split <b>" not in page  # escaped


HOSTILE_VARIANT = "<script>alert('variant')</script>"


def test_robustness_and_composition_tables_render_escaped_in_the_result_s_unit():
    variants = [
        {
            "name": "GPS-located records only",
            "estimate": 5900.0,
            "ci": [4800.0, 7000.0],
            "n": 2100,
            "note": "Records located by GPS (about 100 m); the others are described places.",
        },
        {"name": HOSTILE_VARIANT, "estimate": -200.0, "ci": [-900.0, 500.0], "n": 4121, "note": "<b>placebo</b>"},
        {
            "name": "placebo split at 2004-09-21 (records before 2006-09-21 only)",
            "estimate": -97.0,
            "ci": [-2050.0, 1552.0],
            "n": 977,
            "note": "expected to find nothing",
        },
        {
            "name": "within corridors (stratified by corridor)",
            "estimate": None,
            "ci": None,
            "n": None,
            "note": "too few records",
        },
    ]
    primary = _result("H2.road_distance", "primary", sensitivity=variants)
    table = str(robustness_table(primary, _ctx()))
    assert "<script" not in table and str(escape(HOSTILE_VARIANT)) in table and "&lt;b&gt;placebo" in table
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S) for r in rows]
    assert cells[0] == ["variant", "estimate (km)", "interval", "n", "note"]
    assert cells[1] == ["as reported (this result)", "6.69", "4.9 to 8.39", "4,121", ""]
    assert cells[2][:4] == ["GPS-located records only", "5.9", "4.8 to 7", "2,100"]
    assert cells[3][1:4] == ["-0.2", "-0.9 to 0.5", "4,121"] and cells[3][4].startswith(
        "On the other side of no effect."
    )
    flags = re.findall(r"<tr[^>]*>", table)
    assert flags[3] == '<tr class="flip">' and flags[4] == "<tr>"  # a placebo split is not a flip
    assert cells[5][:2] == ["within corridors (stratified by corridor)", "not computed"]
    es = str(robustness_table(primary, _ctx("es")))
    assert "solo registros localizados por GPS" in es and "Registros localizados por GPS (unos 100 m)" in es
    assert ">5,9<" in es and "4,8 a 7" in es and "corte placebo el 21 sept 2004" in es
    composition = [
        {
            "variable": "location precision",
            "level": "GPS Coordinate (precise to within ca. 300ft./100m)",
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
    ] + [
        {"variable": "cause", "level": f"cause {i}", "before": b, "after": a, "n_before": 300, "n_after": 100}
        for i, (b, a) in enumerate(
            [(0.5, 0.4), (0.3, 0.01), (0.01, 0.45)] + [(0.01, 0.0)] * 5 + [(0.0, 0.02 - 1e-9)] * 2
        )
    ]
    comp = str(composition_table(_result("H2.road_distance", "primary", composition=composition), _ctx()))
    assert "<i>" not in comp and "&lt;i&gt;other&lt;/i&gt;" in comp
    crows = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S) for r in re.findall(r"<tr>(.*?)</tr>", comp, re.S)]
    assert crows[0] == ["variable", "group", "before", "after"]
    assert crows[1][1:] == ["GPS Coordinate (precise to within ca. 300ft./100m)", "35.0%", "86.0%"]
    assert "n = 900 before, 3,200 after" in crows[1][0]
    assert [c[-3:] for c in crows[-4:]] == [
        ["cause 0", "50.0%", "40.0%"],
        ["cause 1", "30.0%", "1.0%"],
        ["cause 2", "1.0%", "45.0%"],
        ["7 other groups, each under 2%", "5.0%", "4.0%"],
    ]
    it = str(composition_table(_result("H2.road_distance", "primary", composition=composition), _ctx("it")))
    assert "Coordinata GPS (precisione di circa 100 m)" in it and "35,0%" in it and "altri 7 gruppi" in it
    assert (
        robustness_table(_result("H5", "primary"), _ctx()) == composition_table(_result("H5", "primary"), _ctx()) == ""
    )


def test_brief_inlines_its_stylesheet_from_the_package(tmp_path):
    """The briefing's styles are borderscape/static/brief.css (package data), inlined whole, with the
    print section (source lines at 8 pt, no forced page break but after page 1); the page has no script
    and no external reference."""
    from importlib import resources

    css = (resources.files("borderscape") / "static" / "brief.css").read_text(encoding="utf-8")
    assert "@media print" in css and "@page" in css and ".summary { break-after: page;" in css
    assert re.search(r"\.src, figcaption \{ font-size: 8pt; \}", css)
    assert css.count("break-before: page") == 0
    results = {
        "study": "s",
        "seed": 1,
        "simulated": True,
        "caveats": [],
        "sources": [],
        "tests": [
            {
                "id": "H1",
                "name": "n",
                "status": "skipped",
                "reason": "No towers layer: x. What to do: y",
                "role": "primary",
            }
        ],
    }
    page = brief_html(results, title="t", description="d", figures=tmp_path)
    assert css in page and '@page { @top-center { content: "SIMULATED DATA"' in page
    assert "<script" not in page.lower() and not re.search(r"(src|href)=[\"']?(https?:)?//", page)
    assert "tower locations" in page  # why H1 was not computed, in words


def test_inline_figures_are_svg_an_html_parser_reads_whatever_prefixes_others_registered(arizona_es):
    """ElementTree's namespace prefixes are global: another library registering ``svg:`` must not turn
    the inline figures into unknown ``<svg:svg>`` elements (WeasyPrint then recurses through them)."""
    import xml.etree.ElementTree as ET

    from borderscape.brief import figure_svg

    ET.register_namespace("svg", "http://www.w3.org/2000/svg")
    ET.register_namespace("xl", "http://www.w3.org/1999/xlink")
    try:
        svg = str(figure_svg(arizona_es / "run" / "figures" / "study_area.svg", Translator("es")))
    finally:
        ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "<svg:" not in svg and "xl:" not in svg
    assert ">frontera<" in svg and ">carreteras<" in svg  # the legend, translated
    assert "Sources:" not in svg and "Arizona–Sonora" not in svg  # title and footer left to the caption
