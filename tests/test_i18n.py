"""Languages (borderscape.i18n): complete gettext catalogues, placeholders kept, study texts translated,
numbers and dates by locale, and texts written elsewhere translated whole or not at all.

The catalogues are read with Babel (an independent reader of the GNU gettext format); the message
ids of the code and templates are extracted again with Babel's own extractors and compared with
``borderscape.pot``, so a visible string added without a catalogue entry fails here.
"""

from __future__ import annotations

import datetime as dt
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
