"""Languages (borderscape.i18n): complete gettext catalogues, placeholders kept, study texts translated,
numbers and dates by locale, and texts written elsewhere translated whole or not at all.

The catalogues are read with Babel (an independent reader of the GNU gettext format); the message
ids of the code and templates are extracted again with Babel's own extractors and compared with
``borderscape.pot``, so a visible string added without a catalogue entry fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import parse_decimal

from borderscape.errors import InputError
from borderscape.i18n import (
    LANGUAGES,
    PSEUDO,
    Translator,
    check_language,
    data_only,
    gettext,
    ngettext,
    study_texts,
    translate,
)

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "borderscape" / "locale"
DOMAINS = ("borderscape", "texts")
OTHERS = [lang for lang in LANGUAGES if lang != "en"]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalog(domain: str, lang: str | None = None):
    path = LOCALE / (f"{domain}.pot" if lang is None else f"{lang}/LC_MESSAGES/{domain}.po")
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def ids(cat) -> set:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in cat if m.id}


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", OTHERS)
def test_every_message_is_translated_with_its_placeholders(domain, lang):
    """Each message of the template has a translation (every plural form), none fuzzy, none left over,
    and the same {placeholders} as its English."""
    template, translated = catalog(domain), catalog(domain, lang)
    assert ids(template) == ids(translated), "run pybabel update (borderscape/locale/babel.cfg)"
    empty, fuzzy, holes = [], [], []
    for m in translated:
        if not m.id:
            continue
        strings = list(m.string) if isinstance(m.id, tuple | list) else [m.string]
        english = list(m.id) if isinstance(m.id, tuple | list) else [m.id]
        if not all(s and s.strip() for s in strings):
            empty.append(m.id)
        if m.fuzzy:
            fuzzy.append(m.id)
        wanted = set(_PLACEHOLDER.findall(" ".join(english)))
        found = [set(_PLACEHOLDER.findall(s)) for s in strings]
        # a plural message's forms may leave out {n} ("the one question"), not add or drop others
        if set().union(*found) != wanted or any(not f <= wanted for f in found):
            holes.append((m.id, strings))
        if len(strings) == 1 and found[0] != wanted:
            holes.append((m.id, strings))
    assert empty == [] and fuzzy == [] and holes == []


def test_the_template_holds_every_message_of_the_code_and_templates():
    """Babel's extractors, run again over the package and the shipped study files, find exactly the
    messages of borderscape.pot: no visible string of the code or templates lacks a catalogue entry."""
    with (LOCALE / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO), method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ):
        found.add(
            " ".join(message.split()) if isinstance(message, str) else tuple(" ".join(x.split()) for x in message)
        )
    assert found == ids(catalog("borderscape")), "run pybabel extract (see borderscape/locale/babel.cfg)"


@pytest.mark.parametrize("study", sorted(p.stem for p in (REPO / "analyses" / "studies").glob("*.toml")))
def test_shipped_studies_are_translated(study):
    """The title, description, caveats, interventions, shocks and assumptions of each shipped study
    are translated in every language, looked up by their English (the study file is not edited)."""
    data = tomllib.loads((REPO / "analyses" / "studies" / f"{study}.toml").read_text(encoding="utf-8"))
    texts = study_texts(data)
    assert data["study"]["title"] in texts and all(" ".join(c.split()) in texts for c in data["study"]["caveats"])
    for lang in OTHERS:
        tr = Translator(lang)
        missing = [t for t in texts if not tr.known(t) or tr.text(t) == t]
        assert missing == [], (lang, missing)


def test_gettext_api_for_other_renderers():
    assert gettext("Key findings", "es") == "Hallazgos principales"
    assert gettext("Key findings", "en") == "Key findings"
    assert translate("Title 42 expulsions begin", "fr") == "Début des expulsions au titre du Title 42"
    assert translate("a sentence no catalogue holds", "it") == "a sentence no catalogue holds"
    assert (
        ngettext("the one question tested", "the {n} questions tested", 4, "it") == "le {n} domande sottoposte a test"
    )
    assert ngettext("the one question tested", "the {n} questions tested", 1, "fr") == "la seule question testée"
    assert gettext("Key findings", PSEUDO) == "⟦Key findings⟧"
    with pytest.raises(InputError) as info:
        check_language("de")
    assert "--lang" in info.value.remedy and "es" in str(info.value)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_numbers_are_written_the_reader_s_way_never_in_scientific_notation(lang):
    """Babel parses back what Translator.number wrote, to the significant digits asked for, for
    numbers from 1e-9 to 1e9; no exponent ever appears."""
    tr = Translator(lang)
    for exponent in range(-9, 10):
        for mantissa in (1.0, 2.345678, -6.6901, 9.99949):
            x = mantissa * 10.0**exponent
            text = tr.number(x, 3)
            assert not re.search(r"\d[eE][-+]?\d", text), text
            back = float(parse_decimal(text.replace("\u2212", "-"), locale=tr.locale))
            if abs(x) >= 100:  # whole numbers from three significant digits up
                assert back == round(x), (x, text)
            else:
                digits = 3 - 1 - math.floor(math.log10(abs(x)))
                assert back == pytest.approx(round(x, digits), abs=10.0 ** (-digits) / 2 + 1e-15), (x, text)
    assert Translator(lang).number(0.0) == "0"


def test_number_and_date_forms_by_locale():
    """Decimal and grouping signs and dates as CLDR has them for each language."""
    assert [Translator(lang).number(6690.4) for lang in ("en", "es", "it")] == ["6,690", "6.690", "6.690"]
    assert Translator("fr").number(12345.0) == "12\u202f345"
    assert [Translator(lang).number(-0.0162406) for lang in ("en", "es", "fr")] == ["-0.0162", "-0,0162", "-0,0162"]
    assert Translator("es").percent(0.362) == "36\u00a0%" and Translator("en").percent(0.0341) == "3.4%"
    assert Translator("it").p(0.0312) == "= 0,031" and Translator("en").p(3e-7) == "< 0.001"
    day = dt.date(2006, 9, 21)
    for lang in LANGUAGES:
        assert Translator(lang).date("2006-09-21") == format_date(day, "long", locale=lang)
    assert Translator("es").date("2006-09-21") == "21 de septiembre de 2006"


def test_texts_with_placeholders_are_translated_whole_or_not_at_all():
    """A message with placeholders fills them with numbers and dates written the reader's way and
    with translated names; when a placeholder would have to hold English words no message
    translates, the text is not translated at all (shown as written) rather than half-translated."""
    tr = Translator("es")
    text = "Years with fewer than 20 records are left out: 2022, 2023, 2024."
    assert tr.text(text) == "Se excluyen los años con menos de 20 registros: 2022, 2023, 2024."
    caveat = (
        "COVID-19 pandemic: border restrictions and lockdowns (2020-03-13) falls within 12 months of the split "
        "(2020-03-21): the change cannot be told apart from it (Begins with Title 42; crossings, enforcement and "
        "reporting all changed at once.)."
    )
    out = tr.text(caveat)
    assert out.startswith("«Pandemia de COVID-19: restricciones fronterizas y confinamientos» (13 mar 2020)")
    assert "Comienza a la vez que el Título 42" in out and "COVID-19 pandemic" not in out
    # the same caveat about an event no catalogue knows is left whole, in English, and reported
    unknown = caveat.replace("COVID-19 pandemic: border restrictions and lockdowns", "A local strike")
    assert tr.text(unknown) == unknown and unknown in tr.untranslated
    # a number placeholder never swallows English words
    listed = "GPS-located 36 % → 86 %; a new English clause 5 % → 7 %"
    assert tr.lookup(listed) is None
    assert tr.text(
        "Search, reporting and place changed between the two sides, not only hardship: "
        "GPS-located 36 % → 86 %; corridor Ajo 3.4 % → 13.2 % of records. The sensitivity variants "
        "hold these constant."
    ).endswith("corredor Ajo 3,4 % → 13,2 % de los registros. Las variantes de sensibilidad los mantienen constantes.")
    assert data_only("2,240 m") and data_only("[2021]") and not data_only("interval includes 0")


def test_the_pseudo_locale_marks_every_message():
    tr = Translator(PSEUDO)
    assert tr.gettext("Charts") == "⟦Charts⟧"
    assert tr.text("Title 42 expulsions begin") == "⟦Title 42 expulsions begin⟧"
    assert tr.text("Years with fewer than 20 records are left out: 2022.") == (
        "⟦Years with fewer than 20 records are left out: 2022.⟧"
    )
    assert tr.number(6690.0) == "6,690"  # numbers and dates as in English


def test_catalogues_ship_as_package_data():
    """The .po files are found through importlib.resources (as in a wheel) and compiled in memory."""
    base = resources.files("borderscape") / "locale"
    for lang in OTHERS:
        for domain in DOMAINS:
            assert (base / lang / "LC_MESSAGES" / f"{domain}.po").is_file()
    assert Translator("it").gettext("Charts") == "Grafici"


# -- the briefings of real runs: no visible string escapes translation --------------------------


class _Visible(HTMLParser):
    """Text a reader sees, outside elements that are not to be translated (``translate="no"``:
    names, citations, ids; code and commands; dates a <time> element holds, written by Babel)."""

    HIDDEN = {"style", "script", "code", "pre", "time", "metadata", "defs"}
    VOID = {"br", "img", "meta", "link", "hr", "wbr", "path", "use", "rect", "circle", "line", "stop", "image"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        hidden = bool(self.stack and self.stack[-1][1]) or tag in self.HIDDEN or dict(attrs).get("translate") == "no"
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        if tag in self.VOID:  # a self-closing <path/> ends nothing that is open
            return
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not (self.stack and self.stack[-1][1]):
            self.parts.append(data)


#: What may stand outside the pseudo-locale's marks: numbers, signs and unit symbols.
_DATA_LEFT = re.compile(r"(?:[\s\d.,:;()\[\]/%+\-−–—…×=<>·•°'’\"“”«»!?#]|\b(?:km²|km|kJ|m)\b)*")


def unmarked(page: str) -> list[str]:
    """The pieces of visible text of a page rendered in the pseudo-locale that are outside ⟦…⟧."""
    parser = _Visible()
    parser.feed(page)
    text = "\n".join(parser.parts)
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
    pieces = [p.strip() for p in re.split(r"\n", text)]
    return [p for p in pieces if p and not _DATA_LEFT.fullmatch(p)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_dir):
    from test_brief import built

    return {
        "arizona-sonora": built("arizona-es", tmp_path_factory, data_dir) / "run",
        "central-med": built("central-med-it", tmp_path_factory, data_dir) / "run",
    }


@pytest.mark.parametrize("study", ["arizona-sonora", "central-med"])
def test_no_visible_string_of_a_real_briefing_is_left_untranslated(runs, study):
    """Rendered in the pseudo-locale, every visible text of the briefing — the briefing's own, the
    study's, the analyses', the data sources', the figures' labels — came through a catalogue (is
    marked), except numbers, names marked translate="no" and commands; and in each language no
    text written elsewhere lacks a translation."""
    from borderscape.brief import run_page
    from borderscape.runfolder import read_run

    run = read_run(runs[study])
    tr = Translator(PSEUDO)
    page = run_page(run, lang=PSEUDO, translator=tr)
    assert sorted(tr.untranslated) == []
    assert unmarked(page) == []
    for lang in OTHERS:
        tr = Translator(lang)
        page = run_page(run, lang=lang, translator=tr)
        assert sorted(tr.untranslated) == [], lang
        assert f'<html lang="{lang}">' in page


# -- the maps of real runs: no visible string escapes translation ------------------------------


@pytest.fixture(scope="module")
def map_runs(data_dir, tmp_path_factory):
    from test_webmap import study_run

    return {study: study_run(study, data_dir, tmp_path_factory) for study in ("arizona-sonora", "central-med")}


def study_map(run: Path, lang: str, data_dir: Path) -> tuple[str, Translator]:
    """The interactive map of a run folder in ``lang``, and the translator it used."""
    from borderscape import webmap
    from borderscape.runfolder import read_run

    m = webmap.interactive_map(read_run(run).map_data(), lang=lang, data_dir=data_dir)
    return webmap.to_html(m), m.get_root().translator


class _Labels(_Visible):
    """The accessible names and tooltips of a page (``aria-label``, ``title``, ``alt``)."""

    def handle_starttag(self, tag, attrs):
        hidden = bool(self.stack and self.stack[-1][1]) or dict(attrs).get("translate") == "no"
        if not hidden:
            self.parts += [v for k, v in attrs if k in ("aria-label", "title", "alt") and v]
        super().handle_starttag(tag, attrs)

    def handle_data(self, data):
        pass


def left(text: str) -> str:
    """What a text holds outside the pseudo-locale's marks, when that is more than numbers and signs."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
    return "" if _DATA_LEFT.fullmatch(text) else text.strip()


@pytest.mark.parametrize("study", ["arizona-sonora", "central-med"])
def test_no_visible_string_of_a_real_map_is_left_untranslated(map_runs, data_dir, study):
    """Rendered in the pseudo-locale, every visible text of the map — text nodes, accessible names and
    tooltips, and every text the map's script shows (its messages, popup labels, layer names, notes and
    units, Leaflet's buttons and gesture messages) — came through a catalogue, except numbers, dates,
    names marked translate="no" and the values of data; and in each language no text written
    elsewhere (the study's title and caveats, the sources' licences, notices, results) lacks a
    translation."""
    from test_webmap import map_data

    page, tr = study_map(map_runs[study], PSEUDO, data_dir)
    assert sorted(tr.untranslated) == []
    assert unmarked(page) == []
    labels = _Labels()
    labels.feed(page)
    assert labels.parts and [p for p in labels.parts if left(p)] == []
    data = map_data(page)
    shown = [*data["text"].values(), *data["labels"].values()]
    shown += [ly[k] for ly in data["layers"] for k in ("name", "note", "unit") if ly[k]]
    assert [s for s in shown if left(s)] == []
    for message in ("Use two fingers to move the map", "Place names (GeoNames)"):  # in folium's script, as JSON
        assert json.dumps(f"⟦{message}⟧") in page, message
    for lang in OTHERS:
        page, tr = study_map(map_runs[study], lang, data_dir)
        assert sorted(tr.untranslated) == [], lang
        assert f'<html lang="{lang}">' in page


def test_the_spanish_map_reads_in_spanish_with_spanish_numbers_and_dates(map_runs, data_dir):
    """The Arizona map in Spanish: its own texts, the study's title, layer names and the country names
    in Spanish; months, counts and p-values written the Spanish way; place names as GeoNames has them."""
    from test_webmap import column, layer_named, map_data, place_labels

    page, _tr = study_map(map_runs["arizona-sonora"], "es", data_dir)
    es = Translator("es")
    data = map_data(page)
    assert data["text"]["legend"] == "Leyenda" and data["text"]["years"] == "Años" and data["locale"] == "es"
    assert data["labels"]["dead"] == "muertos" and data["labels"]["date"] == "fecha (mes)"
    remains = layer_named(data, "Arizona OpenGIS Initiative for Deceased Migrants (restos recuperados)")
    assert remains["unit"] == "personas muertas o desaparecidas"
    assert {"Frontera", "Carreteras", "Estaciones de agua", "Estaciones de la Patrulla Fronteriza"} <= {
        ly["name"] for ly in data["layers"]
    }
    months = {es.month(f"{y}-{m:02d}") for y in range(1980, 2025) for m in range(1, 13)} | {
        str(y) for y in range(1980, 2025)
    }
    assert set(column(remains, "date")) <= months and "sept 2006" in months
    title = translate(read_study_title("arizona-sonora"), "es")
    assert f"<h1>{title}</h1>" in page.replace("&#x27;", "'") and title != read_study_title("arizona-sonora")
    for text in (
        "Mapa interactivo: ",
        "Lo que este mapa no puede mostrar",
        "Fuentes:",
        "Tabla de datos",
        "Resultados de las pruebas",
    ):
        assert text in page, text
    visible = _Visible()
    visible.feed(page)
    shown = " ".join(visible.parts)
    assert "Data table" not in shown and "Sources:" not in shown and "Caveats" not in shown
    assert {"MÉXICO", "ESTADOS UNIDOS"} <= set(place_labels(page)) and "Tucson" in place_labels(page)
    p_cells = re.findall(r"<td>(0,\d+)</td>", page)
    assert p_cells and not re.search(r"<td>0\.\d+</td>", page)
    assert "4.121 registros de Arizona OpenGIS Initiative for Deceased Migrants (restos recuperados), 2000–2024" in page


def read_study_title(study: str) -> str:
    return tomllib.loads((REPO / "analyses" / "studies" / f"{study}.toml").read_text(encoding="utf-8"))["study"][
        "title"
    ]


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_the_static_map_in_spanish(fmt, tmp_path, capsys):
    """``borderscape map --format svg|pdf --lang es``: the title, the legend and the source line in
    Spanish, numbers the Spanish way; the layer's own name (a file's) as it is."""
    import geopandas as gpd
    import numpy as np
    from test_webmap import deaths_file

    from borderscape.cli import main

    layer = deaths_file(tmp_path / "restos.parquet", ["drowning"] * 40)
    frame = gpd.read_parquet(layer)
    rng = np.random.default_rng(7)
    frame.geometry = gpd.points_from_xy(rng.uniform(-111.6, -110.4, 40), rng.uniform(31.5, 32.4, 40), crs=4326)
    frame.to_parquet(layer, index=False)
    out = tmp_path / f"m.{fmt}"
    assert (
        main(["map", "--layer", str(layer), "--out", str(out), "--format", fmt, "--lang", "es", "--credit", "La Mesa"])
        == 0
    )
    capsys.readouterr()
    if fmt == "svg":
        text = out.read_text(encoding="utf-8")
    else:
        from pypdf import PdfReader

        text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    text = " ".join(text.split())
    for expected in (
        "Mapa de restos.parquet",
        "40 registros de restos",
        "Fuentes:",
        "Mapa: La Mesa",
        "Pueblo o ciudad (GeoNames)",
        "Cifras en los círculos",
        "no por donde caminaron",
        "Tucson",
        "km",
    ):
        assert expected in text, expected
    for english in ("Sources:", "Town or city", "Numbers in circles", "records of"):
        assert english not in text, english
