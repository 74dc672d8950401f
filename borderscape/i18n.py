"""Languages of what a reader sees: message catalogues, translation of texts written elsewhere, and
numbers and dates formatted by locale.

borderscape writes its briefings (and, later, its maps) in English, Spanish, Italian and French
(:data:`LANGUAGES`).  Every sentence a reader sees goes through a standard gettext catalogue
(GNU gettext ``.po`` files, read and compiled with Babel), in two domains under
``borderscape/locale/``:

``borderscape``
    The messages of borderscape's own code and templates (``_("...")`` in Python,
    ``{{ _("...") }}`` in ``borderscape/templates/``), and the texts of the shipped study files
    (titles, descriptions, caveats, interventions, shocks, assumptions), extracted with
    ``pybabel extract -F borderscape/locale/babel.cfg -o borderscape/locale/borderscape.pot .``
    (the study files through :func:`extract_study`).
``texts``
    Texts written by other parts of the project that a briefing shows: the caveats, robustness
    variants and composition groups of the analyses, the licences and caveats of the data
    sources, the labels of the figures.  Kept by hand in ``texts.pot``.  A message id may hold
    ``{name}`` placeholders: it then matches any text in which each placeholder stands for some
    words (a number, a date, a name), and the translation receives them, themselves translated
    when the catalogue knows them and with their numbers and dates written the reader's way
    (:meth:`Translator.text`).  A placeholder whose name starts with ``t_`` (``{t_event}``) must
    itself be a text the catalogue translates; ``{name…}`` and ``{route}`` hold names, kept as
    written when untranslated; any other holds numbers, dates and units only — otherwise the
    message does not match, so no English words slip into a translation.

The English text is the key of every message (a study file is never edited: its texts are looked
up by their English).  The ``.po`` files are compiled in memory when first used
(:func:`babel.messages.mofile.write_mo`), so a plain ``pip install -e .`` needs no build step;
``pybabel compile`` works as well.  To add a language: ``pybabel init -D borderscape -i
borderscape/locale/borderscape.pot -d borderscape/locale -l pt`` (and the same for ``texts``),
translate, and add the code to :data:`LANGUAGES`.

The pseudo-locale :data:`PSEUDO` marks every text that came through a catalogue with ``⟦…⟧``
(numbers and dates are written as in English): a page rendered in it shows at a glance, and to a
test, any visible text that escaped translation.

Numbers, percentages, dates and periods are written by :mod:`babel.numbers` and
:mod:`babel.dates` for the reader's locale (``6,690`` / ``6.690`` / ``6 690``; ``21 September 2006``
/ ``21 de septiembre de 2006``), never in scientific notation.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from babel.dates import format_date, format_interval, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from borderscape.errors import InputError

__all__ = [
    "LANGUAGES",
    "PSEUDO",
    "Translator",
    "N_",
    "check_language",
    "data_only",
    "extract_study",
    "gettext",
    "ngettext",
    "translate",
    "translator",
]

#: The languages a reader can ask for (``--lang``), English first.
LANGUAGES = ("en", "es", "fr", "it")
#: The pseudo-locale: every translated text is wrapped in ``⟦…⟧`` (for tests and translators).
PSEUDO = "qps"
#: The marks of the pseudo-locale.
OPEN, CLOSE = "⟦", "⟧"
#: The catalogue domains (module docstring).
DOMAINS = ("borderscape", "texts")
#: The language names, each in its own language (for a language menu).
NAMES = {"en": "English", "es": "Español", "fr": "Français", "it": "Italiano"}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_ISO_PERIOD = re.compile(rf"(?<![\w-])({_ISO_DATE})\s*(?:/|…|\.\.\.)\s*({_ISO_DATE})(?![\w-])")
_ISO_DAY = re.compile(rf"(?<![\w-])({_ISO_DATE})(?![\w-])")
_ISO_MONTH = re.compile(r"(?<![\w-])(\d{4}-\d{2})(?![\d-])")
# An English number that a reader of another language would misread: with a thousands comma or a
# decimal point (integers below 1000 and years are written the same in every language here).
_EN_NUMBER = re.compile(r"(?<![\w.,])(-|−)?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![\w]|[.,]\d)")
_SCIENTIFIC = re.compile(r"(?<![\w.])(-|−)?(\d+(?:\.\d+)?)[eE]([-+]?\d+)(?![\w.])")


_DATA = re.compile(r"[\s\d.,:;/%+\-−–…×()\[\]=<>°]*(?:\s?(?:km|m|kJ|°C|km²))?[\s\d.,:;/%+\-−–…×()\[\]]*")
#: Placeholders whose words are names, kept as written when no message translates them
#: (``{name}``, ``{route}``); ``{t_…}`` must be translated; any other must be numbers and dates.
FREE = ("name", "route")


def data_only(text: str) -> bool:
    """Whether ``text`` holds only numbers, dates, periods, signs and a unit symbol (``2020``,
    ``-0.5``, ``100 km``, ``2000-01-10/2006-09-20``): nothing a translator would change.

    >>> data_only("100 km"), data_only("2000-01-10/2006-09-20"), data_only("roads")
    (True, True, False)
    """
    return bool(_DATA.fullmatch(text.strip()))


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction without translating it (translated where it is shown)."""
    return message


def check_language(lang: str, *, pseudo: bool = True) -> str:
    """``lang`` when borderscape speaks it (:data:`LANGUAGES`, and :data:`PSEUDO` unless
    ``pseudo=False``), else an :class:`~borderscape.errors.InputError` saying which it speaks.

    >>> check_language("es")
    'es'
    """
    known = LANGUAGES + ((PSEUDO,) if pseudo else ())
    if lang not in known:
        raise InputError(
            f"unknown language {lang!r}: borderscape writes {', '.join(LANGUAGES)}",
            remedy=f"pass --lang with one of {', '.join(LANGUAGES)}",
        )
    return lang


def _normal(text: str) -> str:
    """Whitespace collapsed to single spaces (study texts span lines in TOML)."""
    return " ".join(text.split())


def _locale_dir() -> Any:
    return resources.files("borderscape") / "locale"


def _read(path: Any, locale: str | None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


@cache
def _catalog(domain: str, lang: str) -> Catalog:
    """One domain's catalogue of one language (the template ``.pot`` for English and the pseudo-locale)."""
    base = _locale_dir()
    if lang in ("en", PSEUDO):
        return _read(base / f"{domain}.pot", None)
    return _read(base / lang / "LC_MESSAGES" / f"{domain}.po", lang)


def _mark(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}"


@cache
def _messages(lang: str) -> tuple[dict[str, str], dict[tuple[str, str], tuple[str, ...]]]:
    """Singular messages (normalised English → translation) and plural messages of ``lang``,
    merged over :data:`DOMAINS`; untranslated and fuzzy messages are left out (English is shown
    for them)."""
    single: dict[str, str] = {}
    plural: dict[tuple[str, str], tuple[str, ...]] = {}
    for domain in DOMAINS:
        for m in _catalog(domain, lang):
            if not m.id or (m.fuzzy and lang not in ("en", PSEUDO)):
                continue
            strings: Any = m.string
            if isinstance(m.id, tuple | list):
                pair = (_normal(m.id[0]), _normal(m.id[1]))
                if lang == PSEUDO:
                    plural[pair] = (_mark(pair[0]), _mark(pair[1]))
                elif lang == "en":
                    plural[pair] = pair
                elif strings and all(strings):
                    plural[pair] = tuple(strings)
            else:
                key = _normal(str(m.id))
                if lang == PSEUDO:
                    single[key] = _mark(key)
                elif lang == "en":
                    single[key] = key
                elif strings:
                    single[key] = str(strings)
    return single, plural


@cache
def _translations(lang: str) -> Translations:
    """A gettext :class:`babel.support.Translations` of both domains, compiled in memory."""
    single, plural = _messages(lang)
    catalog = Catalog(locale=None if lang in ("en", PSEUDO) else lang)
    for key, value in single.items():
        catalog.add(key, value)
    for (one, many), forms in plural.items():
        catalog.add((one, many), forms)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


@dataclass(frozen=True)
class _Pattern:
    """A ``texts`` message with ``{placeholders}``: a regular expression that quickly refuses a
    text it cannot match, its parts (fixed text, name, fixed text, …, fixed text) and its
    translation."""

    regex: re.Pattern[str]
    parts: tuple[str, ...]
    translated: str


@cache
def _patterns(lang: str) -> tuple[_Pattern, ...]:
    """The ``texts`` messages with ``{placeholders}``, the ones with most fixed text first."""
    single = _messages(lang)[0]
    ids = {_normal(m.id) for m in _catalog("texts", "en") if isinstance(m.id, str) and "{" in m.id}
    out = []
    for key in ids:
        if key not in single:
            continue
        parts = tuple(_PLACEHOLDER.split(key))
        regex = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
        fixed = sum(len(p) for p in parts[::2])
        out.append((fixed, _Pattern(re.compile(regex, re.S), parts, single[key])))
    out.sort(key=lambda t: -t[0])
    return tuple(p for _, p in out)


def _assignments(parts: tuple[str, ...], text: str, pos: int = 0, i: int = 0) -> Iterator[dict[str, str]]:
    """Every way the placeholders of ``parts`` can take non-empty pieces of ``text`` (shortest first)."""
    literal = parts[i]
    if not text.startswith(literal, pos):
        return
    pos += len(literal)
    if i == len(parts) - 1:
        if pos == len(text):
            yield {}
        return
    name, following = parts[i + 1], parts[i + 2]
    if following == "" and i + 2 == len(parts) - 1:
        ends = [len(text)] if len(text) > pos else []
    else:
        ends = []
        j = text.find(following, pos + 1) if following else -1
        while j != -1:
            ends.append(j)
            j = text.find(following, j + 1)
    for end in ends:
        value = text[pos:end]
        for rest in _assignments(parts, text, end, i + 2):
            if rest.get(name, value) == value:
                yield {name: value, **rest}


#: Where a text of several sentences is cut when no message matches it whole.
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“\"'])")


def _babel_locale(lang: str) -> str:
    return "en" if lang == PSEUDO else lang


@dataclass(frozen=True)
class Translator:
    """Everything a page needs to speak one language.

    Parameters
    ----------
    lang
        One of :data:`LANGUAGES`, or :data:`PSEUDO`.

    Notes
    -----
    :meth:`gettext` / :meth:`ngettext` translate borderscape's own messages (a message missing
    from the catalogue is shown in English); :meth:`text` translates a text written elsewhere
    (an analysis caveat, a study title) and records the ones it could not in
    :attr:`untranslated`.
    """

    lang: str
    untranslated: set[str] = field(default_factory=set, compare=False, repr=False)
    _seen: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_language(self.lang)

    # -- messages --------------------------------------------------------------------------

    @property
    def locale(self) -> str:
        """The Babel locale of number and date formats."""
        return _babel_locale(self.lang)

    def gettext(self, message: str) -> str:
        """``message`` (English) in this language."""
        return _translations(self.lang).gettext(_normal(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural message for the count ``n``, in this language."""
        return _translations(self.lang).ngettext(_normal(singular), _normal(plural), n)

    def lookup(self, text: str, _depth: int = 0) -> str | None:
        """A text written elsewhere in this language, or None when no message matches.

        An exact message first; then a message with placeholders (:func:`_patterns`), whose
        placeholders receive the matched words, each looked up again or else written with its
        numbers and dates in this language's form (:meth:`localize`) — a ``t_`` placeholder must
        be looked up successfully; then, for a text of several sentences, each sentence (all must
        match).
        """
        key = _normal(text)
        if not key:
            return key
        single = _messages(self.lang)[0]
        if key in single:
            return single[key]
        if key in self._seen:
            return self._seen[key]
        found = None if _depth > 12 else self._match(key, _depth)
        self._seen[key] = found
        return found

    def _match(self, key: str, depth: int) -> str | None:
        for pattern in _patterns(self.lang):
            if pattern.regex.fullmatch(key) is None:
                continue
            for tries, assignment in enumerate(_assignments(pattern.parts, key)):
                if tries > 64:
                    break
                values: dict[str, str] = {}
                for name, value in assignment.items():
                    found = self.lookup(value, depth + 1)
                    if found is None and not (
                        name.startswith(FREE) or (not name.startswith("t_") and data_only(value))
                    ):
                        break  # not this message: the placeholder holds words no message translates
                    values[name] = found if found is not None else self.localize(value)
                else:
                    return _PLACEHOLDER.sub(lambda g, v=values: v.get(g.group(1), g.group(0)), pattern.translated)  # type: ignore[misc]
        sentences = _SENTENCE.split(key)
        if len(sentences) > 1:
            parts = [self.lookup(s, depth + 1) for s in sentences]
            if all(p is not None for p in parts):
                return " ".join(p for p in parts if p is not None)
        return None

    def text(self, text: str) -> str:
        """A text written elsewhere, in this language when a message matches (:meth:`lookup`),
        else as written (and remembered in :attr:`untranslated`).  A text of numbers, dates and
        units alone (a tick label, ``100 km``) has nothing to translate: it is written this
        language's way (:meth:`localize`)."""
        found = self.lookup(text)
        if found is None and data_only(text):
            return self.localize(_normal(text))
        if found is None:
            self.untranslated.add(_normal(text))
            return _normal(text)
        return found

    def known(self, text: str) -> bool:
        """Whether :meth:`text` would translate ``text``."""
        return self.lookup(text) is not None

    # -- numbers and dates -----------------------------------------------------------------

    def number(self, x: float, digits: int = 3) -> str:
        """``x`` with ``digits`` significant digits (none after the point from 1,000 up), grouped
        and with the decimal sign of this language; never in scientific notation.

        >>> Translator("en").number(6690.4), Translator("es").number(-0.0162406), Translator("fr").number(12345)
        ('6,690', '-0,0162', '12\\u202f345')
        """
        x = float(x)
        if not math.isfinite(x):
            return "∞" if x > 0 else "−∞" if x < 0 else "—"
        if x == 0:
            return "0"
        if abs(x) >= 10 ** (digits - 1) or abs(x) >= 1000:
            return format_decimal(round(x), format="#,##0", locale=self.locale)
        decimals = min(12, digits - 1 - math.floor(math.log10(abs(x))))
        rounded = round(x, decimals)
        if rounded == 0:
            return "0"
        return format_decimal(rounded, format="#,##0." + "#" * decimals, locale=self.locale)

    def integer(self, n: int) -> str:
        """A count, grouped the way of this language."""
        return format_decimal(int(n), format="#,##0", locale=self.locale)

    def percent(self, share: float, decimals: int | None = None) -> str:
        """A share (0.362) as a percentage the way of this language (``36%``, ``36 %``): two
        significant digits below 10 %, whole numbers from 10 % up, or ``decimals`` decimals.

        >>> Translator("en").percent(0.362), Translator("es").percent(0.0341), Translator("it").percent(0.35, 1)
        ('36%', '3,4\xa0%', '35,0%')
        """
        value = 100 * float(share)
        if decimals is not None:
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            text = format_decimal(round(value, decimals), format=pattern, locale=self.locale)
        elif abs(value) < 10:
            text = self.number(value, 2)
        else:
            text = self.integer(round(value))
        return text + self.percent_sign()

    def percent_sign(self) -> str:
        """The percent sign with the space this language puts before it (``%``, ``\u00a0%``)."""
        return format_percent(0.5, locale=self.locale)[len(format_decimal(50, locale=self.locale)) :]

    def _date(self, iso: str | dt.date) -> dt.date:
        return iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso)[:10])

    def date(self, iso: str | dt.date, form: str = "long") -> str:
        """A date (``2006-09-21``) the way of this language: ``21 September 2006`` … (``form``:
        ``long`` or ``medium``)."""
        return format_date(self._date(iso), form, locale=self.locale)

    def month(self, iso: str) -> str:
        """A month (``2020-03`` or a date in it): ``Mar 2020``, ``mar 2020`` …"""
        return format_skeleton("yMMM", self._date(str(iso)[:7] + "-01"), locale=self.locale)

    def period(self, start: str | dt.date, end: str | dt.date, long: bool = False) -> str:
        """A span of days, the way of this language (``10 Jan 2000 – 20 Sep 2006``; with ``long``,
        ``January 10, 2000 – September 20, 2006``)."""
        if long:
            return f"{self.date(start)} – {self.date(end)}"
        return format_interval(self._date(start), self._date(end), "yMMMd", locale=self.locale)

    def months(self, start: str | dt.date, end: str | dt.date) -> str:
        """A span of months, the way of this language (``Jul 2016 – Jun 2018``)."""
        return format_interval(self._date(start), self._date(end), "yMMM", locale=self.locale)

    def p(self, p: float) -> str:
        """A p-value after its ``p``: ``< 0.001`` below 0.001, else ``= `` and two significant
        digits (``= 0.031``), in this language's digits."""
        return f"< {self.number(0.001)}" if p < 0.001 else f"= {self.number(p, 2)}"

    def interval(self, low: float, high: float, digits: int = 3) -> str:
        """An interval as a table writes it: ``[5.85, 7.54]``, and with a semicolon where the comma
        is the decimal sign (``[5,85; 7,54]``).

        >>> Translator("en").interval(5.85, 7.54), Translator("fr").interval(5.85, 7.54)
        ('[5.85, 7.54]', '[5,85; 7,54]')
        """
        sep = "; " if "," in format_decimal(0.5, locale=self.locale) else ", "
        return f"[{self.number(low, digits)}{sep}{self.number(high, digits)}]"

    def localize(self, text: str) -> str:
        """The numbers and dates of an English text written this language's way: periods
        ``2000-01-10/2006-09-20`` and dates ``2006-09-21`` by :meth:`period` and :meth:`date`,
        numbers with a thousands comma or a decimal point by :meth:`number` (as many decimals as
        written), scientific notation written out."""

        def number(m: re.Match[str]) -> str:
            sign = "-" if m.group(1) else ""
            digits = m.group(2).replace(",", "")
            decimals = len(digits.split(".")[1]) if "." in digits else 0
            value = float(sign + digits)
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            return format_decimal(value, format=pattern, locale=self.locale)

        def scientific(m: re.Match[str]) -> str:
            value = float(f"{m.group(1) or ''}{m.group(2)}e{m.group(3)}".replace("−", "-"))
            return self.number(value)

        text = _SCIENTIFIC.sub(scientific, text)
        text = _ISO_PERIOD.sub(lambda m: self.period(m.group(1), m.group(2)), text)
        text = _ISO_DAY.sub(lambda m: self.date(m.group(1), "medium"), text)
        text = _ISO_MONTH.sub(lambda m: self.month(m.group(1)), text)
        if self.locale == "en":
            return text
        return _EN_NUMBER.sub(number, text)


@cache
def translator(lang: str) -> Translator:
    """The :class:`Translator` of ``lang`` (one per language and process)."""
    return Translator(check_language(lang))


def gettext(message: str, lang: str) -> str:
    """borderscape's own ``message`` (English) in ``lang``.

    >>> gettext("Key findings", "es")
    'Hallazgos principales'
    """
    return translator(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str) -> str:
    """The singular or plural form of a message for the count ``n``, in ``lang``."""
    return translator(lang).ngettext(singular, plural, n)


def translate(text: str, lang: str) -> str:
    """A text written elsewhere (a study title, an analysis caveat) in ``lang``, matched by its
    English (exactly, or by a message with placeholders); the English text when no message
    matches.

    >>> translate("Title 42 expulsions begin", "fr")
    'Début des expulsions au titre du Title 42'
    """
    return translator(lang).text(text)


# -- extraction --------------------------------------------------------------------------------

#: What a study file says that a reader sees, by TOML path (``*``: every item of a list): the notes of
#: shocks are quoted by the analyses' caveats; the notes of interventions are not shown.
STUDY_TEXTS = (
    ("study", "title"),
    ("study", "description"),
    ("study", "caveats", "*"),
    ("periods", "interventions", "*", "name"),
    ("periods", "shocks", "*", "name"),
    ("periods", "shocks", "*", "note"),
    ("endpoints", "*", "disclosure"),
    ("sensors", "*", "basis"),
)


def _walk(node: Any, path: tuple[str, ...]) -> Iterator[str]:
    if not path:
        if isinstance(node, str) and node.strip():
            yield _normal(node)
        return
    head, rest = path[0], path[1:]
    if head == "*":
        items = node.values() if isinstance(node, Mapping) else node if isinstance(node, list) else ()
        for item in items:
            yield from _walk(item, rest)
    elif isinstance(node, Mapping) and head in node:
        yield from _walk(node[head], rest)


def study_texts(data: Mapping[str, Any]) -> list[str]:
    """The texts of a study (a parsed study file) that a reader sees (:data:`STUDY_TEXTS`), in order."""
    out: list[str] = []
    for path in STUDY_TEXTS:
        out.extend(t for t in _walk(data, path) if t not in out)
    return out


def extract_study(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Mapping[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extraction method for study files (``[borderscape.i18n:extract_study: …toml]`` in
    ``babel.cfg``): yields each text a reader sees (:func:`study_texts`) with its line."""
    raw = fileobj.read()
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    data = tomllib.loads(text)
    lines = text.splitlines()
    for message in study_texts(data):
        words = message.split()[:4]
        lineno = next((i + 1 for i, line in enumerate(lines) if all(w in line for w in words)), 1)
        yield lineno, "_", message, ["a text of a study file"]
