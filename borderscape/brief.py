"""A briefing of a study run, in English, Spanish, Italian or French: one self-contained HTML page
(with print styles) and a PDF that lead with the findings.

:func:`write_brief` (``borderscape brief``) runs the study with
:func:`borderscape.pipeline.run_study` into ``<out>/run/`` (so every number of the briefing is the
number of that run's ``results.json``), then :func:`brief_from` writes

``brief.html``
    **Page 1, a summary a non-specialist reads in two minutes**: the key findings as sentences a
    reader can quote — the primary result of each question, worded by its kind of effect (a
    difference, a ratio, a trend, a share), with its interval, whether it could be chance
    (decided by the adjusted p-value only), whether it lies against the direction the study
    expected, how its robustness checks came out and what else changed between the two sides,
    and the page where the details are; the study-area map; one line on what could not be
    assessed and why; one line on how to read it.  Then the charts.  Then the **annex**: every
    result by question (the primary with its robustness and composition tables, the secondary
    and descriptive results, the results not computed, and the question's caveats, each said
    once), the method (roles, adjustment, methods and references), the study's caveats and
    assumptions, and the sources and licences.  Last, **How to reproduce**: the commands, and
    what to supply for each missing layer (the only command-line text of the briefing).
``brief.pdf``
    ``brief.html`` rendered by WeasyPrint (A4, page numbers, "see page N" references).

Every text a reader sees goes through :mod:`borderscape.i18n` (gettext catalogues, numbers and
dates by locale): the briefing's own sentences, the study's texts and the texts of the analyses,
data sources and figures.  Numbers are written by :meth:`~borderscape.i18n.Translator.number`
(three significant digits in the annex, two on page 1, never in scientific notation), p-values
as ``p < 0.001`` or ``p = 0.031``.  One unit per quantity: distances in km, deaths per 10,000
encounters and per 1,000 attempted crossings (the units of the charts), shares in per cent and
their changes in percentage points, ratios as "times".

The briefing does not claim causes beyond what a test supports, forecasts nothing and ranks no
place for enforcement.  Descriptive results carry no p-value language; every sentence about
chance is decided by ``p_adjusted`` (Holm across the primary results, Benjamini–Hochberg within
a question), never by the raw p-value.
"""

from __future__ import annotations

import math
import os
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from borderscape.analyses.needs import needs
from borderscape.analyses.study import Study
from borderscape.errors import BorderscapeError, InputError
from borderscape.geo.files import atomic_path, write_text_atomic
from borderscape.i18n import LANGUAGES, N_, Translator, check_language
from borderscape.runfolder import RunFolder, read_run

#: The level below which an adjusted p-value reads as "unlikely to be chance alone".
ALPHA = 0.05

#: The questions of both batteries, in plain words (by id prefix).
QUESTIONS = {
    "H1": N_("Do fewer remains lie inside the coverage of surveillance towers than expected?"),
    "H2": N_("Are remains found in harder terrain, farther from roads and water, over time?"),
    "H3": N_("Do the routes that avoid tower coverage cost more energy, and do remains lie along them?"),
    "H4": N_("Did deaths per Border Patrol encounter change?"),
    "H5": N_("Did the hot spots of remains move into harder terrain?"),
    "M1": N_("Did deaths per attempted crossing change?"),
    "M2": N_("Did deaths at sea move farther from the departure coasts or from the patrol areas?"),
    "M3": N_("Did the share of deaths inside each search-and-rescue region change?"),
    "M4": N_("Do boats first seen by some assets have deaths more often?"),
    "M5": N_("Did the hot spots of deaths at sea move?"),
    "M6": N_("Are more boats pulled back to Libya in months with more aerial surveillance?"),
}
#: The questions as topics ("Not assessed: whether …").
TOPICS = {
    "H1": N_("whether fewer remains lie inside the coverage of surveillance towers than expected"),
    "H2": N_("whether remains are found in harder terrain over time"),
    "H3": N_("whether the routes that avoid tower coverage cost more energy"),
    "H4": N_("whether deaths per Border Patrol encounter changed"),
    "H5": N_("whether the hot spots of remains moved into harder terrain"),
    "M1": N_("whether deaths per attempted crossing changed"),
    "M2": N_("whether deaths at sea moved farther from the departure coasts"),
    "M3": N_("whether the share of deaths inside each search-and-rescue region changed"),
    "M4": N_("whether boats first seen by some assets have deaths more often"),
    "M5": N_("whether the hot spots of deaths at sea moved"),
    "M6": N_("whether more boats are pulled back to Libya in months with more aerial surveillance"),
}
#: The method of each battery, in one paragraph.
METHOD = {
    "funnel": N_(
        "The funnel-effect battery follows Chambers, Boyce, Launius and Dinsmore (2019, Journal of Borderlands "
        "Studies): the places where remains were recovered are compared with the coverage of the surveillance "
        "towers active at the time, with the terrain, roads and water around them, before and after each "
        "intervention; deaths are related to Border Patrol encounters; hot spots of remains are compared between "
        "periods."
    ),
    "maritime": N_(
        "The maritime battery relates the dead and missing to the attempted crossings (arrivals plus "
        "interceptions plus the dead and missing) month by month and around each intervention, measures how far "
        "from the departure coasts and from the patrol areas in force deaths occurred, the share of deaths inside "
        "each search-and-rescue region, deaths by the asset that first detected the boat, hot spots of deaths by "
        "period, and interceptions against aerial surveillance."
    ),
}
#: What every briefing of a battery says about its records (consistent with the studies' own caveats).
LIMITS = {
    "funnel": N_(
        "Remains are recorded where they were found, which is not necessarily where the person died, and many "
        "deaths are never found or reported: the counts are minimums."
    ),
    "maritime": N_(
        "Deaths at sea are minimum counts: many shipwrecks leave no trace, and positions are often approximate."
    ),
}
#: Said on page 1 of every briefing.
CARE = N_(
    "These results describe past records: they show associations in time and place, not proof of what caused "
    "them. Nothing here forecasts crossings or ranks places for enforcement."
)
#: Figures of a run, in the order of the briefing: (file stem, caption, roles of the sources behind it).
FIGURES = (
    (
        "study_area",
        N_(
            "The study area. Records are counted per grid cell (circle area proportional to the count); no single "
            "record is shown."
        ),
        (
            "border",
            "coastline",
            "deaths",
            "incidents",
            "roads",
            "water_stations",
            "sar_regions",
            "operational_areas",
            "towers",
        ),
    ),
    (
        "hardship_over_time",
        N_(
            "Hardship at the places where remains were recovered, by year: median (line) and interquartile range "
            "(band); dashed lines mark the interventions."
        ),
        ("deaths", "terrain_covariates", "environment", "roads", "water_stations"),
    ),
    (
        "mortality_per_encounter",
        N_("Recovered remains per 10,000 Border Patrol encounters, by month; dashed lines mark the interventions."),
        ("deaths", "encounters"),
    ),
    (
        "mortality_per_crossing",
        N_(
            "Dead and missing per 1,000 attempted sea crossings, by month, with 95% intervals; dashed lines mark "
            "the interventions."
        ),
        ("crossings", "deaths"),
    ),
    (
        "coverage_growth",
        N_("Area within reach of active surveillance, by period."),
        ("operational_areas", "towers", "coastal_stations", "aerial_tracks"),
    ),
    (
        "cross_l_envelope",
        N_(
            "Remains around the towers (cross-L function): observed minus expected, against the range expected "
            "with no effect."
        ),
        ("deaths", "towers"),
    ),
    (
        "hotspots_by_period",
        N_(
            "Hot spots (Getis–Ord Gi*, false discovery rate controlled) by period: where records were found in a "
            "past period, not where people crossed."
        ),
        ("deaths", "incidents", "border", "coastline"),
    ),
)
#: A layer role in words, for a reader who does not know the role names.
ROLE_WORDS = {
    "deaths": N_("records of deaths"),
    "incidents": N_("boat incident records"),
    "crossings": N_("crossing counts by month"),
    "encounters": N_("Border Patrol encounter counts"),
    "towers": N_("tower locations"),
    "dem": N_("elevation model of the terrain"),
    "environment": N_("the environment grid"),
    "border": N_("the border line"),
    "roads": N_("roads"),
    "water_stations": N_("water stations"),
    "coastline": N_("coastlines"),
    "sar_regions": N_("search-and-rescue regions"),
    "operational_areas": N_("patrol operational areas"),
    "coastal_stations": N_("coastal radars"),
    "aerial_tracks": N_("aerial patrol tracks"),
    "terrain_covariates": N_("terrain measures at the remains"),
    "stations": N_("Border Patrol stations"),
}
#: Why records were left out (``results.json`` ``records``), in words.
EXCLUDED = {
    "quarantined": N_("quarantined (malformed)"),
    "unlocated": N_("without a position"),
    "outside the study region": N_("outside the study region"),
    "undated": N_("without a date"),
    "before the study period": N_("before the study period"),
    "after the study period": N_("after the study period"),
}
#: Method families: (pattern on the method text of results.json, plain description).
METHODS = (
    (
        r"^difference of medians( within strata \([^)]*\))?; percentile interval of a year-cluster bootstrap",
        N_(
            "Difference of medians after minus before; the interval resamples whole years and the p-value compares "
            "the yearly means of the records' ranks, so the records of one year do not count as independent."
        ),
    ),
    (
        r"^Mann-Kendall test",
        N_(
            "Trend of the yearly or monthly medians (Theil–Sen slope) with a Mann–Kendall test corrected for "
            "correlation between neighbouring years or months."
        ),
    ),
    (
        r"^case-control logistic regression",
        N_("Logistic regression of the places where remains were found against random background points."),
    ),
    (
        r"^descriptive: deaths",
        N_("Deaths per encounter before and after, with intervals that allow for overdispersion; no test."),
    ),
    (
        r"^quasi-Poisson regression \(McCullagh",
        N_(
            "Regression of the deaths of each month on time, with the encounters as exposure and seasonal terms; "
            "interval and p-value from a simulation of the series that allows for overdispersion and correlated "
            "months."
        ),
    ),
    (
        r"^quasi-Poisson regression of monthly deaths with log\(encounters\) offset and an after-indicator",
        N_(
            "Regression of the deaths of each month on a before/after indicator, with the encounters as exposure "
            "and seasonal terms."
        ),
    ),
    (
        r"^quasi-Poisson segmented regression",
        N_(
            "Interrupted time series: regression of the deaths of each month with a trend, a change of level and of "
            "trend at the intervention, the encounters as exposure and seasonal terms."
        ),
    ),
    (
        r"^difference \(after − before the split\) of the mean slope",
        N_(
            "Hot spots (Getis–Ord Gi*) of each side: the mean slope of the hot cells after minus before; the "
            "p-value exchanges whole calendar years between the sides."
        ),
    ),
    (
        r"^difference \(after − before the split\) of the geodesic distance",
        N_(
            "Hot spots (Getis–Ord Gi*) of each side: their distance from the departure coasts after minus before; "
            "the p-value exchanges whole calendar months between the sides."
        ),
    ),
    (
        r"^Getis-Ord Gi\*",
        N_(
            "Share of grid cells that are hot spots (Getis–Ord Gi*, false discovery rate 5%); the interval "
            "resamples blocks of neighbouring cells."
        ),
    ),
    (
        r"^pooled rate",
        N_(
            "Pooled rate: all deaths over all attempted crossings; the interval resamples whole months, because "
            "deaths come in shipwrecks; no test."
        ),
    ),
    (
        r"^quasi-Poisson GLM \(log link, offset log crossings.*step change",
        N_(
            "Change between two periods: regression of the deaths of each month with the attempted crossings as "
            "exposure and month-of-year terms; interval and p-value from a simulation of the series that allows for "
            "overdispersion."
        ),
    ),
    (
        r"^ratio of the pooled rates after / before",
        N_(
            "Ratio of the pooled rates after and before; the interval resamples whole months; descriptive (too few "
            "months on a side for a test)."
        ),
    ),
    (
        r"^interrupted time series",
        N_(
            "Interrupted time series: regression of the deaths of each month with a trend, a change of level at the "
            "intervention and month-of-year terms, the attempted crossings as exposure."
        ),
    ),
    (
        r"^difference of medians after − before",
        N_(
            "Difference of medians after minus before; the interval resamples whole months and the p-value exchanges "
            "whole months between the sides."
        ),
    ),
    (
        r"^difference of shares after − before",
        N_(
            "Difference of shares after minus before; the interval resamples whole months and the p-value exchanges "
            "whole months between the sides."
        ),
    ),
    (
        r"^risk ratio of a boat having at least one death",
        N_(
            "Risk ratio of a boat having at least one death, by the asset that first detected it, from a regression "
            "that treats the boats of one month as related."
        ),
    ),
    (
        r"^quasi-binomial logit GLM of the monthly pull-back share",
        N_(
            "Regression of the monthly share of attempted crossings ended by a Libyan interception on the aerial "
            "detections of the month, with a trend, level shifts at the interventions and seasonal terms; interval "
            "and p-value from a simulation of the series with correlated months."
        ),
    ),
    (
        r"^quasi-Poisson GLM of the monthly dead and missing",
        N_(
            "Regression of the monthly dead and missing on the aerial detections of the month, with the attempted "
            "crossings as exposure; interval and p-value from a simulation of the series."
        ),
    ),
    (
        r"^pooled share|^share of boats",
        N_("Pooled share; the interval resamples blocks of six consecutive months; no test."),
    ),
    (
        r"^relative displacement",
        N_(
            "Remains inside coverage against the number expected (observed over expected, minus one); the p-value "
            "reshuffles the locations of remains between the periods."
        ),
    ),
    (
        r"^Monte Carlo global envelope",
        N_(
            "Cross-L function of remains around the towers against the range expected under random labelling "
            "(global envelope test)."
        ),
    ),
    (
        r"^least-energy routes|^the least-energy routes",
        N_(
            "Least-energy walking routes from the border, with and without avoiding tower coverage (Pandolf "
            "energy model); paired permutation test over routes."
        ),
    ),
    (
        r"^difference of ordinary least-squares slopes",
        N_("Difference of the slopes of route energy on distance, avoiding minus unconstrained routes."),
    ),
    (
        r"^mean over post-deployment remains",
        N_(
            "How much nearer remains lie to the routes that avoid coverage than to the unconstrained ones, after "
            "deployment minus before; the interval resamples whole years."
        ),
    ),
)
_REFERENCE = re.compile(
    r"((?:[A-Z][A-Za-zÀ-ÿ'’\-–]+)(?:,? (?:[A-Z][A-Za-zÀ-ÿ'’\-–]+,? )*(?:&|and) [A-Z][A-Za-zÀ-ÿ'’\-–]+| et al\.)?),? "
    r"\(?((?:1[89]|20)\d\d)\)?"
)
#: Names of search-and-rescue regions (M3 ids).
SRR = {
    "ITA": N_("Italian"),
    "MLT": N_("Maltese"),
    "LBY": N_("Libyan"),
    "TUN": N_("Tunisian"),
    "GRC": N_("Greek"),
    "ESP": N_("Spanish"),
    "MAR": N_("Moroccan"),
    "DZA": N_("Algerian"),
}
#: The detecting assets of M4 (ids), in words.
ASSETS = {
    "aerial": N_("aircraft"),
    "vessel": N_("a patrol vessel"),
    "ngo": N_("an NGO rescue ship"),
    "commercial": N_("a merchant ship"),
    "distress_call": N_("a distress call"),
    "coastal_surveillance": N_("coastal surveillance"),
    "none_at_sea": N_("a land patrol, on arrival"),
}
#: H2's measures (id part), in words.
MEASURES = {
    "road_distance": N_("distance to the nearest road"),
    "water_distance": N_("distance to the nearest water station"),
    "slope": N_("slope"),
    "ruggedness": N_("terrain ruggedness"),
    "energy": N_("walking energy from the border"),
    "heat": N_("July maximum temperature"),
    "aridity": N_("aridity index"),
    "water_loss": N_("sweat loss walking from the border"),
}
#: The unit of each H2 measure in results.json → (unit shown, scale).
UNITS = {
    "m": (N_("km"), 1e-3),
    "km": (N_("km"), 1.0),
    "degrees": ("°", 1.0),
    "°C": ("°C", 1.0),
    "kJ": ("kJ", 1.0),
    "L": (N_("litres"), 1.0),
    "index": ("", 1.0),
    "terrain units": ("", 1.0),
}
#: Deaths per this many encounters (H4) and attempted crossings (M1), as in the charts.
PER_ENCOUNTERS = 10_000
PER_CROSSINGS = 1_000


class PDFError(BorderscapeError):
    """The PDF could not be written (WeasyPrint or its system libraries are missing or failed)."""


@dataclass(frozen=True, eq=False)
class BriefOutput:
    """What :func:`write_brief` wrote: the page, the PDF and the run behind them."""

    html: Path
    pdf: Path
    run: RunFolder


# -- words and numbers -------------------------------------------------------------------------


def number(x: float, lang: str = "en", digits: int = 3) -> str:
    """A number as the briefing prints it: ``digits`` significant digits, none after the point
    from 1,000 up, grouped and with the decimal sign of ``lang``; never scientific notation.

    >>> number(6885.51), number(13.5005), number(-0.0162406), number(0.0), number(1.2e-5), number(6690, "es")
    ('6,886', '13.5', '-0.0162', '0', '0.000012', '6.690')
    """
    return Translator(lang).number(x, digits)


def p_text(p: float, lang: str = "en") -> str:
    """A p-value as printed: ``< 0.001`` below 0.001, else two significant digits (``= 0.031``).

    >>> p_text(0.0312), p_text(3e-7), p_text(0.25), p_text(0.0312, "it")
    ('= 0.031', '< 0.001', '= 0.25', '= 0,031')
    """
    return Translator(lang).p(p)


def tested(tests: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many results each adjustment was made across: ``primary`` → the primary results with
    an adjusted p-value (Holm across the battery); a question's prefix (``H2``) → its secondary
    results with one (Benjamini–Hochberg within the question)."""
    counts: dict[str, int] = {}
    for t in tests:
        if t.get("status") != "ran" or t.get("p_adjusted") is None:
            continue
        key = "primary" if t.get("role") == "primary" else str(t["id"]).split(".")[0]
        if t.get("role") in ("primary", "secondary"):
            counts[key] = counts.get(key, 0) + 1
    return counts


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fmt(message: str, **values: Any) -> str:
    """``message`` with its ``{placeholders}`` filled (plain text)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), message)


def _markup(message: str, **values: Any) -> Markup:
    """``message`` (plain text) escaped, with its placeholders filled by escaped text or by
    :class:`~markupsafe.Markup` kept as markup."""
    return Markup(re.sub(r"\{(\w+)\}", lambda m: str(escape(values.get(m.group(1), m.group(0)))), str(escape(message))))


@dataclass(frozen=True)
class Reading:
    """How one result reads: what it measures and in which unit, and its kind of effect.

    ``kind`` is ``difference`` (after minus before), ``trend`` (per year), ``ratio`` (times),
    ``ratio_year`` (a ratio per year, read as a percentage change a year), ``share`` (per cent),
    ``change`` (a change of a share, in percentage points), ``relative`` (observed over expected
    minus one, per cent), ``rate`` (deaths per ``per``) or ``value``.  ``up``/``down`` are the
    page-1 sentences (translated, with ``{value}`` and ``{interval}`` placeholders) when the
    estimate lies above / below no effect.
    """

    label: str
    kind: str
    unit: str = ""
    scale: float = 1.0
    up: str | None = None
    down: str | None = None


@dataclass
class Context:
    """What every sentence of one briefing needs: the translator, the study's dates and names,
    the numbering of methods."""

    tr: Translator
    battery: str = "funnel"
    events: Mapping[str, str] = field(default_factory=dict)
    period: tuple[str, str] | None = None
    tests: Sequence[Mapping[str, Any]] = ()
    families: Mapping[str, int] = field(default_factory=dict)

    def _(self, message: str) -> str:
        return self.tr.gettext(message)

    def event(self, date: str, short: bool = False) -> str:
        """The intervention or shock of ``date`` (ISO, or a month ``2014-11``), translated; its
        date when none is known.  ``short``: without a trailing parenthesis."""
        name = self.events.get(date) or next((n for d, n in self.events.items() if d[:7] == date[:7]), None)
        if name is None:
            return self.tr.date(date) if len(date) >= 10 else self.tr.month(date)
        text = self.tr.text(name)
        if short:
            text = re.sub(r"\s*\([^()]*\)\s*$", "", text) or text
        return text

    def when(self, date: str) -> str:
        """``21 September 2006 (SBInet contract awarded)``: a split date with its event."""
        name = self.events.get(date)
        day = self.tr.date(date) if len(date) >= 10 else self.tr.month(date)
        return f"{day} ({self.event(date, short=True)})" if name else day


def _split_date(t: Mapping[str, Any]) -> str | None:
    params = t.get("parameters") or {}
    if params.get("split"):
        return str(params["split"])[:10]
    m = re.search(r"(\d{4}-\d{2}-\d{2})$", str(t["id"]))
    return m.group(1) if m else None


def _unit_of(t: Mapping[str, Any]) -> str:
    params = t.get("parameters") or {}
    if params.get("unit"):
        return str(params["unit"])
    m = re.search(r"\(([^()]*)\)\s*$", str(t.get("name", "")))
    unit = m.group(1) if m else ""
    return re.sub(r" per year$", "", unit)


def reading(t: Mapping[str, Any], ctx: Context) -> Reading:  # noqa: C901 - one branch per kind of result
    """How result ``t`` reads (:class:`Reading`), from its id: the label, unit and sentences of
    every result of the funnel and maritime batteries; a result it does not know reads as its
    name (translated when the catalogue knows it) with its value."""
    _ = ctx._
    rid = str(t["id"])
    split = _split_date(t)
    when = ctx.when(split) if split else ""
    parts = rid.split(".")
    q = parts[0]
    label: str | None
    measure: str | None
    if q == "H1":
        if rid == "H1":
            label = _(
                "Remains inside the coverage of active towers, against the number expected from where remains "
                "were found before the towers"
            )
            return Reading(
                label,
                "relative",
                up=_(
                    "After the towers were deployed, {value} more remains lay inside their coverage than expected "
                    "from where remains were found before ({interval})."
                ),
                down=_(
                    "After the towers were deployed, {value} fewer remains lay inside their coverage than expected "
                    "from where remains were found before ({interval})."
                ),
            )
        if rid == "H1.area":
            return Reading(
                _("Remains inside the coverage of active towers, against the covered share of the area"), "relative"
            )
        if len(parts) == 3 and parts[1] in ("before", "after"):
            side = _("before") if parts[1] == "before" else _("after")
            return Reading(
                _fmt(
                    _(
                        "Remains inside the coverage in force later, against its share of the area: "
                        "records {side} {when}"
                    ),
                    side=side,
                    when=ctx.when(parts[2]),
                ),
                "relative",
            )
        if rid == "H1.cross_k":
            return Reading(
                _("Remains around the towers (cross-L function): largest deviation from the null model"),
                "value",
                _("km"),
                1e-3,
            )
    if q == "H2" and len(parts) >= 2:
        if parts[1] == "case_control":
            measure = _(MEASURES.get(parts[2] if len(parts) > 2 else "slope", parts[-1]))
            return Reading(
                _fmt(
                    _(
                        "Places where remains were found against random background points: odds ratio per "
                        "standard deviation of {measure}"
                    ),
                    measure=measure,
                ),
                "ratio",
            )
        key = parts[1]
        measure = _(MEASURES[key]) if key in MEASURES else None
        unit, scale = UNITS.get(_unit_of(t), ("", 1.0))
        unit = _(unit) if unit and unit not in ("°", "°C", "kJ") else unit
        if measure is not None and len(parts) == 3 and parts[2] == "trend":
            return Reading(
                _fmt(
                    _("{measure} at the places where remains were found: trend of the yearly medians"),
                    measure=_cap(measure),
                ),
                "trend",
                unit,
                scale,
                up=_fmt(
                    _("The {measure} at the places where remains were found rose by {value} ({interval})."),
                    measure=measure,
                ),
                down=_fmt(
                    _("The {measure} at the places where remains were found fell by {value} ({interval})."),
                    measure=measure,
                ),
            )
        if measure is not None and len(parts) == 2:
            label = _fmt(
                _("{measure} at the places where remains were found: median after {when} minus median before"),
                measure=_cap(measure),
                when=when,
            )
            day = ctx.tr.date(split) if split else ""
            if key == "road_distance":
                up = _(
                    "Remains found after {date} lay a median {value} farther from the nearest road than remains "
                    "found before ({interval})."
                )
                down = _(
                    "Remains found after {date} lay a median {value} closer to the nearest road than remains "
                    "found before ({interval})."
                )
            elif key == "water_distance":
                up = _(
                    "Remains found after {date} lay a median {value} farther from the nearest water station than "
                    "remains found before ({interval})."
                )
                down = _(
                    "Remains found after {date} lay a median {value} closer to the nearest water station than "
                    "remains found before ({interval})."
                )
            else:
                up = _fmt(
                    _(
                        "Remains found after {date} lay where the {measure} was a median {value} higher than for "
                        "remains found before ({interval})."
                    ),
                    measure=measure,
                )
                down = _fmt(
                    _(
                        "Remains found after {date} lay where the {measure} was a median {value} lower than for "
                        "remains found before ({interval})."
                    ),
                    measure=measure,
                )
            return Reading(label, "difference", unit, scale, _fmt(up, date=day), _fmt(down, date=day))
    if q == "H3":
        if rid == "H3.fit":
            return Reading(
                _(
                    "How much nearer remains lie to the routes that avoid coverage than to the least-energy routes: "
                    "after deployment minus before"
                ),
                "difference",
                _("km"),
                1e-3,
                up=_(
                    "Remains found after the towers were deployed lay {value} nearer the routes that avoid their "
                    "coverage, relative to the least-energy routes, than remains found before ({interval})."
                ),
                down=_(
                    "Remains found after the towers were deployed lay {value} farther from the routes that avoid "
                    "their coverage, relative to the least-energy routes, than remains found before ({interval})."
                ),
            )
        if rid == "H3":
            return Reading(
                _("Extra walking energy of the routes that avoid the coverage of active towers, per route"),
                "value",
                "kJ",
            )
        if rid == "H3.slope":
            return Reading(_("Extra energy per kilometre of the routes that avoid coverage"), "value", "kJ/km")
        if rid.startswith("H3.water_loss"):
            return Reading(
                _("Extra sweat loss of the routes that avoid the coverage of active towers, per route"),
                "value",
                _("litres"),
            )
        if len(parts) == 2 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", parts[1]):
            return Reading(
                _fmt(
                    _("Extra walking energy of the routes that avoid the coverage in force from {date}, per route"),
                    date=ctx.tr.date(parts[1]),
                ),
                "value",
                "kJ",
            )
    if q == "H4":
        per = float((t.get("parameters") or {}).get("per") or 100_000)
        if rid == "H4":
            return Reading(
                _("Recovered remains per 10,000 Border Patrol encounters, whole series"),
                "rate",
                "",
                PER_ENCOUNTERS / per,
            )
        if rid == "H4.trend":
            start, end = _series_span(t, ctx)
            return Reading(
                _("Deaths per Border Patrol encounter: change per year over the series"),
                "ratio_year",
                up=_fmt(
                    _(
                        "Recovered remains per Border Patrol encounter rose by {value} a year from {start} to {end} "
                        "({interval})."
                    ),
                    start=start,
                    end=end,
                ),
                down=_fmt(
                    _(
                        "Recovered remains per Border Patrol encounter fell by {value} a year from {start} to {end} "
                        "({interval})."
                    ),
                    start=start,
                    end=end,
                ),
            )
        if rid == "H4.rate_ratio":
            return Reading(_fmt(_("Deaths per encounter after {when} against before"), when=when), "ratio")
        if len(parts) == 3 and parts[1] == "its":
            return Reading(
                _fmt(
                    _("Deaths per encounter in the months after {when} against as many months before"),
                    when=ctx.when(parts[2]),
                ),
                "ratio",
            )
        if rid == "H4.its":
            return Reading(_("Interrupted time series at the interventions outside the encounters series"), "ratio")
    if q in ("H5", "M5"):
        what = _("remains") if q == "H5" else _("deaths at sea")
        if rid == "H5":
            return Reading(
                _fmt(_("Hot spots of remains: mean slope after {when} minus before"), when=when),
                "difference",
                "°",
                up=_fmt(
                    _(
                        "Hot spots of remains found after {date} lay on ground a mean {value} steeper than those "
                        "before ({interval})."
                    ),
                    date=ctx.tr.date(split) if split else "",
                ),
                down=_fmt(
                    _(
                        "Hot spots of remains found after {date} lay on ground a mean {value} less steep than "
                        "those before ({interval})."
                    ),
                    date=ctx.tr.date(split) if split else "",
                ),
            )
        if rid == "M5":
            return Reading(
                _fmt(
                    _("Hot spots of deaths at sea: distance from the departure coasts after {when} minus before"),
                    when=when,
                ),
                "difference",
                _("km"),
                up=_fmt(
                    _(
                        "Hot spots of deaths at sea after {date} lay a mean {value} farther from the departure coasts "
                        "than before ({interval})."
                    ),
                    date=ctx.tr.date(split) if split else "",
                ),
                down=_fmt(
                    _(
                        "Hot spots of deaths at sea after {date} lay a mean {value} closer to the departure coasts "
                        "than before ({interval})."
                    ),
                    date=ctx.tr.date(split) if split else "",
                ),
            )
        m = re.fullmatch(r"[HM]5\.(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})", rid)
        if m:
            return Reading(
                _fmt(
                    _("Share of grid cells that are hot spots of {what}, {period}"),
                    what=what,
                    period=ctx.tr.period(m.group(1), m.group(2)),
                ),
                "share",
            )
    if q == "M1":
        if rid == "M1.change":
            spans = re.findall(r"(\d{4}-\d{2}-\d{2})…(\d{4}-\d{2}-\d{2})", str(t.get("name", "")))
            before = ctx.tr.months(*spans[0]) if len(spans) == 2 else _("the first period")
            after = ctx.tr.months(*spans[1]) if len(spans) == 2 else _("the second period")
            label = _fmt(_("Deaths per attempted crossing, {after} against {before}"), after=after, before=before)
            sentence = _fmt(
                _("Deaths per attempted crossing from {after} were {value} times those from {before} ({interval})."),
                after=after,
                before=before,
            )
            return Reading(label, "ratio", up=sentence, down=sentence)
        if len(parts) == 2:
            return Reading(
                _("Dead and missing per 1,000 attempted crossings, all months pooled"), "rate", "", PER_CROSSINGS
            )
        if len(parts) == 4 and parts[2] == "its":
            return Reading(
                _fmt(_("Deaths per attempted crossing after {when} against before"), when=ctx.when(parts[3])), "ratio"
            )
    if q == "M2" and len(parts) >= 3:
        who = parts[1]
        where = parts[2]
        if len(parts) == 3:
            label = {
                ("deaths", "coast"): _("Distance of deaths from the departure coasts: trend of the monthly medians"),
                ("deaths", "coverage"): _(
                    "Distance of deaths from the patrol areas in force: trend of the monthly medians"
                ),
                ("detections", "coast"): _(
                    "Distance of boat detections from the departure coasts: trend of the monthly medians"
                ),
                ("detections", "coverage"): _(
                    "Distance of boat detections from the patrol areas in force: trend of the monthly medians"
                ),
            }.get((who, where))
            sentences = {
                ("deaths", "coast"): (
                    _(
                        "Deaths at sea were recorded {value} farther from the departure coasts (trend of the "
                        "monthly medians; {interval})."
                    ),
                    _(
                        "Deaths at sea were recorded {value} closer to the departure coasts (trend of the monthly "
                        "medians; {interval})."
                    ),
                ),
                ("deaths", "coverage"): (
                    _(
                        "Deaths at sea were recorded {value} farther from the patrol areas in force (trend of the "
                        "monthly medians; {interval})."
                    ),
                    _(
                        "Deaths at sea were recorded {value} closer to the patrol areas in force (trend of the "
                        "monthly medians; {interval})."
                    ),
                ),
            }.get((who, where), (None, None))
            if label:
                return Reading(label, "trend", _("km"), 1.0, *sentences)
        if len(parts) == 4:
            label = {
                ("deaths", "coast"): _(
                    "Distance of deaths from the departure coasts: median after {when} minus before"
                ),
                ("deaths", "coverage"): _(
                    "Distance of deaths from the patrol areas in force: median after {when} minus before"
                ),
                ("detections", "coast"): _(
                    "Distance of boat detections from the departure coasts: median after {when} minus before"
                ),
                ("detections", "coverage"): _(
                    "Distance of boat detections from the patrol areas in force: median after {when} minus before"
                ),
            }.get((who, where))
            if label:
                return Reading(_fmt(label, when=ctx.when(parts[3])), "difference", _("km"))
    if q == "M3" and len(parts) == 3:
        region = _(SRR[parts[1]]) if parts[1] in SRR else parts[1]
        date = parts[2]
        return Reading(
            _fmt(
                _("Share of deaths at sea inside the {region} search-and-rescue region: after {when} minus before"),
                region=region,
                when=ctx.when(date),
            ),
            "change",
            up=_fmt(
                _(
                    "After {date} ({event}), the share of deaths at sea inside the {region} search-and-rescue "
                    "region was {value} higher than before ({interval})."
                ),
                date=ctx.tr.date(date),
                event=ctx.event(date, short=True),
                region=region,
            ),
            down=_fmt(
                _(
                    "After {date} ({event}), the share of deaths at sea inside the {region} search-and-rescue "
                    "region was {value} lower than before ({interval})."
                ),
                date=ctx.tr.date(date),
                event=ctx.event(date, short=True),
                region=region,
            ),
        )
    if q == "M4" and len(parts) == 2:
        asset = _(ASSETS[parts[1]]) if parts[1] in ASSETS else parts[1]
        sentence = _fmt(
            _(
                "Boats first detected by {asset} had deaths {value} times as often as boats first detected "
                "by a patrol vessel ({interval})."
            ),
            asset=asset,
        )
        return Reading(
            _fmt(
                _("Boats with deaths: first detected by {asset} against by a patrol vessel (risk ratio)"), asset=asset
            ),
            "ratio",
            up=sentence,
            down=sentence,
        )
    if q == "M6":
        if rid == "M6.aerial":
            sentence = _(
                "In months when twice as many boats were detected from the air, the odds that an attempted "
                "crossing ended in a Libyan interception were {value} times as high ({interval})."
            )
            return Reading(
                _(
                    "Attempted crossings ended by a Libyan interception, per doubling of the boats detected "
                    "from the air in the same month (odds ratio)"
                ),
                "ratio",
                up=sentence,
                down=sentence,
            )
        m = re.fullmatch(r"M6\.lag(\d+)", rid)
        if m:
            return Reading(
                _fmt(
                    _(
                        "Attempted crossings ended by a Libyan interception, per doubling of the boats "
                        "detected from the air {k} months earlier (odds ratio)"
                    ),
                    k=m.group(1),
                ),
                "ratio",
            )
        if rid == "M6.death_rate":
            return Reading(
                _(
                    "Dead and missing per attempted crossing, per doubling of the boats detected from the air "
                    "(rate ratio)"
                ),
                "ratio",
            )
        if rid == "M6.share":
            return Reading(
                _("Share of attempted crossings ended by an interception of the Libyan coast guard"), "share"
            )
        if rid == "M6.assets":
            return Reading(
                _("Share of the interceptions at sea recorded by Frontex whose boat was first detected from the air"),
                "share",
            )
    name = re.sub(r"\s*\([^()]*\)\s*$", "", str(t.get("name", rid)))
    unit, scale = UNITS.get(_unit_of(t), ("", 1.0))
    return Reading(_cap(ctx.tr.text(name)), "ratio" if t.get("null_value") == 1.0 else "value", unit, scale)


def _series_span(t: Mapping[str, Any], ctx: Context) -> tuple[str, str]:
    """The first and last month of a monthly series (from the result's parameters, else the study period)."""
    params = t.get("parameters") or {}
    months = params.get("months") if isinstance(params.get("months"), list) else None
    first = params.get("first_month") or (months[0] if months else None)
    last = params.get("last_month") or (months[-1] if months else None)
    if (not first or not last) and ctx.period:
        first, last = ctx.period
    return (ctx.tr.month(str(first)) if first else "", ctx.tr.month(str(last)) if last else "")


# -- values, intervals, chance ------------------------------------------------------------------


def _with_unit(number: str, unit: str, tr: Translator, per_year: bool = False) -> str:
    """A number followed by its unit (a degree sign sticks to it), and "a year" for a trend."""
    if unit:
        number = number + unit if unit == "°" else f"{number}\u00a0{unit}"
    return _fmt(tr.gettext("{value} a year"), value=number) if per_year else number


def value_text(x: float | None, r: Reading, tr: Translator, digits: int = 3, signed: bool = False) -> str:
    """A value of a result in its unit (:class:`Reading`): per cent for a share, percentage
    points for a change of a share, a plain number for a ratio, a percentage change a year for a
    ratio per year, the unit "a year" for a trend."""
    if x is None:
        return tr.gettext("not defined")
    if r.kind == "ratio_year":
        return _with_unit(_signed(tr.number(100 * (x - 1), digits) + tr.percent_sign(), x - 1), "", tr, True)
    if r.kind in ("share", "relative"):
        text = tr.number(100 * x, digits) + tr.percent_sign()
    elif r.kind == "change":
        text = _fmt(tr.gettext("{value} percentage points"), value=tr.number(100 * x, digits))
    elif r.kind == "ratio":
        text = tr.number(x, digits)
    else:
        text = _with_unit(tr.number(x * r.scale, digits), r.unit, tr, r.kind == "trend")
    return _signed(text, x) if signed else text


def _signed(text: str, x: float) -> str:
    return "+" + text if x > 0 and not text.startswith("+") else text


def _bare(x: float, r: Reading, tr: Translator, digits: int) -> str:
    """A bound of an interval without its unit (the unit follows the upper bound)."""
    if r.kind == "ratio_year":
        return _signed(tr.number(100 * (x - 1), digits) + tr.percent_sign(), x - 1)
    if r.kind in ("share", "relative"):
        return tr.number(100 * x, digits) + tr.percent_sign()
    if r.kind == "change":
        return tr.number(100 * x, digits)
    if r.kind == "ratio":
        return tr.number(x, digits)
    return tr.number(x * r.scale, digits)


def interval_text(t: Mapping[str, Any], r: Reading, tr: Translator, digits: int = 3) -> str:
    """The interval of a result in words: ``95% interval: 4.9 to 8.4 km``; for a ratio per year,
    the yearly change of each bound (``−50% to −26%``); a null envelope as the range expected with
    no effect."""
    ci = t.get("ci")
    params = t.get("parameters") or {}
    level = tr.percent(float(params.get("confidence", 0.95)))
    if not ci or all(v is None for v in ci):
        return tr.gettext("no interval")
    lo, hi = ci
    unit = ""
    if r.kind == "ratio_year":
        unit = " " + tr.gettext("a year")
    elif r.kind == "change":
        unit = " " + tr.gettext("percentage points")
    elif r.kind not in ("share", "relative", "ratio") and r.unit:
        unit = _with_unit("", r.unit, tr, r.kind == "trend")
    elif r.kind == "trend":
        unit = " " + tr.gettext("a year")
    lo_t = "…" if lo is None else _bare(lo, r, tr, digits)
    hi_t = "…" if hi is None else _bare(hi, r, tr, digits)
    if "envelope" in str(params.get("ci_kind", "")):
        return _fmt(tr.gettext("range expected with no effect: {low} to {high}"), low=lo_t, high=hi_t + unit)
    return _fmt(tr.gettext("{level} interval: {low} to {high}"), level=level, low=lo_t, high=hi_t + unit)


def chance_words(test: Mapping[str, Any], family: int | None = None, tr: Translator | None = None) -> str:
    """Whether a result could be chance, in one sentence decided by its adjusted p-value.

    ``family`` is the number of results the adjustment was made across (:func:`tested`).  A
    primary result: "After adjusting for the 4 questions tested, unlikely to be chance alone
    (adjusted p = 0.0004; unadjusted p = 0.0001)." or "…, could be chance (…)."; a secondary
    result says "the N secondary results of H2".  A descriptive result, or one without a p-value,
    gets no sentence (``""``); a p-value that was not adjusted is not judged.
    """
    tr = tr or Translator("en")
    role = test.get("role")
    if role == "descriptive" or test.get("status") != "ran" or test.get("p_value") is None:
        return ""
    raw = tr.p(float(test["p_value"]))
    adjusted = test.get("p_adjusted")
    if adjusted is None:
        return _fmt(
            tr.gettext("Not adjusted for the other tests, so not judged against chance (unadjusted p {p})."), p=raw
        )
    question = str(test["id"]).split(".")[0]
    n = family or 1
    if role == "primary":
        among = _fmt(tr.ngettext("the one question tested", "the {n} questions tested", n), n=n)
    else:
        among = _fmt(
            tr.ngettext("the one secondary result of {q}", "the {n} secondary results of {q}", n), n=n, q=question
        )
    if adjusted < ALPHA:
        message = tr.gettext(
            "After adjusting for {among}, unlikely to be chance alone (adjusted p {adjusted}; unadjusted p {p})."
        )
    else:
        message = tr.gettext("After adjusting for {among}, could be chance (adjusted p {adjusted}; unadjusted p {p}).")
    return _fmt(message, among=among, adjusted=tr.p(float(adjusted)), p=raw)


def direction_words(test: Mapping[str, Any], tr: Translator | None = None) -> str:
    """For a primary result with a declared direction (``increase`` or ``decrease``): whether its
    estimate lies in that direction or against it, in one sentence; else ``""``."""
    tr = tr or Translator("en")
    wanted = {"increase": 1, "decrease": -1}.get(str(test.get("direction")), 0)
    est = test.get("estimate")
    if test.get("role") != "primary" or not wanted or est is None or test.get("status") != "ran":
        return ""
    side = _sign(est, float(test.get("null_value") or 0.0))
    if side == 0:
        return ""
    if side == wanted:
        return (
            tr.gettext("In the direction the study expected (an increase).")
            if wanted > 0
            else tr.gettext("In the direction the study expected (a decrease).")
        )
    return (
        tr.gettext("Against the direction the study expected (an increase).")
        if wanted > 0
        else tr.gettext("Against the direction the study expected (a decrease).")
    )


def _sign(x: float | None, null: float) -> int:
    return 0 if x is None else (x > null) - (x < null)


def headline(test: Mapping[str, Any], family: int | None = None, ctx: Context | None = None) -> str:
    """One plain sentence for a result that ran, as the annex prints it: what was compared, the
    estimate with its unit, the interval and n; then, for a primary result, whether it lies in
    the declared direction, and for a test, whether it could be chance (:func:`chance_words`,
    decided by the adjusted p-value).  A descriptive result has no p-value language.  Plain
    text: escape it for HTML."""
    ctx = ctx or Context(Translator("en"))
    tr = ctx.tr
    r = reading(test, ctx)
    n = test.get("n")
    detail = interval_text(test, r, tr)
    if n is not None:
        detail += "; " + _fmt(tr.gettext("n = {n}"), n=tr.integer(int(n)))
    text = _fmt(
        tr.gettext("{label}: {value} ({detail})."),
        label=r.label,
        value=value_text(test.get("estimate"), r, tr),
        detail=detail,
    )
    return " ".join(w for w in (text, direction_words(test, tr), chance_words(test, family, tr)) if w)


# -- page 1 --------------------------------------------------------------------------------------

#: Variant names (English, from the analyses) that are not robustness checks of the estimate.
_NOT_CHECKS = re.compile(
    r"^(placebo|best single break|records treated as independent|.*exchanged one by one|"
    r"Clopper|Katz|Wald|quasi-Poisson standard errors|no autocorrelation)",
    re.I,
)


def checks_summary(test: Mapping[str, Any]) -> tuple[int, int]:
    """(robustness checks whose estimate lies on the same side of no effect as the result, checks
    with an estimate): the ``sensitivity`` variants other than placebo splits, break scans and
    other ways of computing the interval alone."""
    null = float(test.get("null_value") or 0.0)
    side = _sign(test.get("estimate"), null)
    checks = [
        v
        for v in test.get("sensitivity") or ()
        if v.get("estimate") is not None and not _NOT_CHECKS.match(str(v.get("name", "")))
    ]
    same = sum(1 for v in checks if _sign(v["estimate"], null) == side)
    return same, len(checks)


#: Composition rows that describe bookkeeping rather than the records (the months a model uses, the
#: decimals of coordinates, a variable spelled out per period): not a page-1 confounder.
_BOOKKEEPING = re.compile(r"^months of the period|^decimals of|[:…]")


def largest_shift(test: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The composition row whose share changed most between the two sides (at least 10
    percentage points; bookkeeping rows left out), or None."""
    rows = [
        r
        for r in test.get("composition") or ()
        if r.get("before") is not None and r.get("after") is not None and not _BOOKKEEPING.search(str(r["variable"]))
    ]
    if not rows:
        return None
    best = max(rows, key=lambda r: abs(float(r["after"]) - float(r["before"])))
    return best if abs(float(best["after"]) - float(best["before"])) >= 0.10 else None


def finding(test: Mapping[str, Any], ctx: Context, anchor: str) -> Markup:
    """The page-1 sentence of a primary result: the finding worded by its kind of effect, with its
    interval; whether it could be chance (adjusted p); against the expected direction; the
    robustness checks and the largest change of composition; "see page N"."""
    tr = ctx.tr
    _ = ctx._
    r = reading(test, ctx)
    est = test.get("estimate")
    null = float(test.get("null_value") or 0.0)
    side = _sign(est, null)
    interval = interval_text(test, r, tr, digits=2)
    if r.kind == "ratio_year" and est is not None:
        value = tr.percent(abs(est - 1.0))
    elif r.kind in ("difference", "trend", "change", "relative") and est is not None:
        value = value_text(abs(est), r, tr, digits=2)
    else:
        value = value_text(est, r, tr, digits=2)
    template = (r.up if side >= 0 else r.down) if (r.up and r.down) else None
    if template is None:
        sentence = _fmt(_("{label}: {value} ({interval})."), label=r.label, value=value, interval=interval)
    else:
        sentence = _fmt(template, value=value, interval=interval)
    parts = [sentence]
    adjusted = test.get("p_adjusted")
    if adjusted is not None:
        # the adjustment (for the number of questions) is said once, under the findings (chance_note)
        if adjusted < ALPHA:
            parts.append(_fmt(_("This is unlikely to be chance alone (adjusted p {p})."), p=tr.p(float(adjusted))))
        else:
            parts.append(_fmt(_("This could be chance (adjusted p {p})."), p=tr.p(float(adjusted))))
    wanted = {"increase": 1, "decrease": -1}.get(str(test.get("direction")), 0)
    if wanted and side == -wanted:
        parts.append(direction_words(test, tr))
    same, total = checks_summary(test)
    if total == 1:
        parts.append(
            _("The one robustness check points the same way.")
            if same
            else _("The one robustness check points the other way.")
        )
    elif total:
        parts.append(_fmt(_("{same} of {total} robustness checks point the same way."), same=same, total=total))
    size = sector_size(test)
    if size is not None and size > 0.1:
        parts.append(
            _fmt(
                _(
                    "Caution: on simulated sectors where searches and location records changed over time as they "
                    "did here, but towers had no effect, this test gave the same kind of result in {size} of "
                    "worlds; it shows where remains were found, not that towers caused it."
                ),
                size=tr.percent(size),
            )
        )
    shift = largest_shift(test)
    if shift is not None:
        level = str(shift["level"])
        group = re.sub(r"\s*\([^()]*\)\s*$", "", tr.text(level)) or tr.text(level)
        values = {
            "group": group,
            "variable": tr.text(str(shift["variable"])),
            "before": tr.percent(float(shift["before"])),
            "after": tr.percent(float(shift["after"])),
        }
        if level.startswith("share of"):
            parts.append(
                _fmt(
                    _("Other things changed between the two sides too: {variable}, {before} before and {after} after."),
                    **values,
                )
            )
        else:
            parts.append(
                _fmt(
                    _(
                        "Other things changed between the two sides too: {variable} “{group}”, {before} before "
                        "and {after} after."
                    ),
                    **values,
                )
            )
    see = Markup(
        '<a class="see" href="#{a}"><span class="on-paper">{p}</span><span class="on-screen">{s}</span></a>'
    ).format(a=anchor, p=_("see page"), s=_("details"))
    return (
        Markup(" ")
        .join([escape(" ".join(parts[:-1])) if len(parts) > 1 else Markup(""), escape(parts[-1]) + Markup(" — ") + see])
        .strip()
    )


#: The calibration caveat of a primary (borderscape.analyses.calibration): its false-signal rate.
_SECTOR_SIZE = re.compile(r"falsely signals \(adjusted p < 0\.05\) in ([\d.]+) % of worlds")


def sector_size(test: Mapping[str, Any]) -> float | None:
    """The share of simulated null sectors in which the primary ``test`` falsely signalled
    (docs/calibration.md, said in its caveats), or None when it was not calibrated on sectors."""
    for caveat in test.get("caveats") or ():
        found = _SECTOR_SIZE.search(str(caveat))
        if found:
            return float(found.group(1)) / 100.0
    return None


def chance_note(n: int, ctx: Context) -> str:
    """The line under the key findings: their p-values are adjusted for the ``n`` questions tested."""
    return _fmt(
        ctx.tr.ngettext(
            "Whether a finding could be chance is judged by its p-value adjusted for the one question tested.",
            "Whether a finding could be chance is judged by its p-value adjusted for the {n} questions tested "
            "(Holm 1979).",
            n,
        ),
        n=n,
    )


def not_assessed(
    tests: Sequence[Mapping[str, Any]], present: set[str], missing: Mapping[str, str], ctx: Context
) -> str:
    """One line: the questions whose primary result could not be computed, and why (the data the
    run lacked, in words); "" when every primary result was computed."""
    _ = ctx._
    skipped = [t for t in tests if t.get("role") == "primary" and t.get("status") != "ran"]
    if not skipped:
        return _("Every question of this study could be assessed.")
    topics = []
    roles: list[str] = []
    for t in skipped:
        q = str(t["id"]).split(".")[0]
        topics.append(f"{_(TOPICS[q]) if q in TOPICS else _(QUESTIONS.get(q, q))} ({q})")
        for req in needs(str(t["id"])):
            options = (req,) if isinstance(req, str) else req
            if not any(o in present for o in options):
                roles.extend(o for o in options if o not in roles and (o in missing or len(options) == 1))
    asked = _and(topics, ctx)
    if roles:
        return _fmt(
            _("Not assessed: {topics}, because this run had no {data}."),
            topics=asked,
            data=_or([_(ROLE_WORDS.get(r, r)) for r in roles], ctx),
        )
    return _fmt(
        _("Not assessed: {topics}: the analysis could not be computed on these records (see the annex)."), topics=asked
    )


def _or(items: Sequence[str], ctx: Context) -> str:
    if len(items) == 1:
        return items[0]
    return _fmt(ctx._("{items} or {last}"), items=", ".join(items[:-1]), last=items[-1])


def _and(items: Sequence[str], ctx: Context) -> str:
    if len(items) == 1:
        return items[0]
    return _fmt(ctx._("{items} and {last}"), items=", ".join(items[:-1]), last=items[-1])


# -- tables --------------------------------------------------------------------------------------


def robustness_table(test: Mapping[str, Any], ctx: Context | None = None) -> Markup:
    """The robustness table of a result (its ``sensitivity`` variants): variant, estimate, interval,
    n and note, below a first row with the result as reported, in the result's unit; a variant on
    the other side of no effect says so in its note (not a placebo split, expected to find
    nothing).  ``""`` when the result has no variant.  Every text is escaped and translated."""
    ctx = ctx or Context(Translator("en"))
    tr, _ = ctx.tr, ctx._
    variants = test.get("sensitivity") or []
    if not variants:
        return Markup("")
    r = reading(test, ctx)
    null = float(test.get("null_value") or 0.0)
    side = _sign(test.get("estimate"), null)
    unit = _unit_label(r, tr)

    def row(name: str, est: float | None, ci: Any, n: int | None, why: str, cls: str = "") -> Markup:
        # a placebo split is expected to find nothing: its sign says nothing about robustness (as in
        # analyses.battery.declare); the English name decides, before translation
        flip = bool(side) and _sign(est, null) == -side and not name.lower().startswith("placebo")
        name = tr.text(name) if cls != "main" else name
        note = (_("On the other side of no effect.") + " " if flip else "") + (tr.text(why) if why else "")
        klass = " ".join(c for c in (cls, "flip" if flip else "") if c)
        interval = (
            "—"
            if not ci or all(v is None for v in ci)
            else _fmt(
                _("{low} to {high}"),
                low="…" if ci[0] is None else _bare(ci[0], r, tr, 3),
                high="…" if ci[1] is None else _bare(ci[1], r, tr, 3),
            )
        )
        shown = _("not computed") if est is None else _bare(est, r, tr, 3)
        return Markup(
            '<tr{cls}><td>{name}</td><td class="num">{est}</td><td class="num">{ci}</td><td class="num">{n}</td>'
            "<td>{note}</td></tr>"
        ).format(
            cls=Markup(f' class="{klass}"') if klass else "",
            name=name,
            est=shown,
            ci=interval,
            n="" if n is None else tr.integer(n),
            note=note.strip(),
        )

    rows = [row(_("as reported (this result)"), test.get("estimate"), test.get("ci"), test.get("n"), "", "main")]
    rows += [
        row(str(v["name"]), v.get("estimate"), v.get("ci"), v.get("n"), str(v.get("note") or "")) for v in variants
    ]
    return Markup(
        '<table class="robustness"><caption>{caption}</caption><thead><tr><th>{variant}</th><th>{estimate}</th>'
        '<th>{interval}</th><th translate="no">n</th><th>{note}</th></tr></thead><tbody>{rows}</tbody></table>'
    ).format(
        caption=_fmt(
            _("Robustness of {id}: the same estimate on other records or under other assumptions"), id=test["id"]
        ),
        variant=_("variant"),
        estimate=_("estimate") + (f" ({unit})" if unit else ""),
        interval=_("interval"),
        note=_("note"),
        rows=Markup("").join(rows),
    )


def _unit_label(r: Reading, tr: Translator) -> str:
    if r.kind == "ratio_year":
        return _fmt(tr.gettext("{value} a year"), value="%")
    if r.kind in ("share", "relative"):
        return "%"
    if r.kind == "change":
        return tr.gettext("percentage points")
    if r.kind == "ratio":
        return tr.gettext("ratio")
    if r.kind == "rate":
        return ""
    return _with_unit("", r.unit, tr, r.kind == "trend").strip()


#: A variable of a composition table with more groups than this shows only those with at least
#: :data:`SMALL_GROUP` of the records on one side, the others summed in one row (all are in the CSV).
MAX_GROUPS = 8
SMALL_GROUP = 0.02


def composition_table(test: Mapping[str, Any], ctx: Context | None = None) -> Markup:
    """What else changed between the two sides of a before/after result (its ``composition``): for
    each variable, the share of records at each level before and after, with the records whose
    variable is known.  A variable with more than :data:`MAX_GROUPS` levels shows those with at
    least :data:`SMALL_GROUP` on one side and sums the rest in one row ("12 other groups, each
    under 2%"); ``tables/composition.csv`` holds every level.  ``""`` when the result has none.
    Every text is escaped and translated."""
    ctx = ctx or Context(Translator("en"))
    tr, _ = ctx.tr, ctx._
    rows = test.get("composition") or []
    if not rows:
        return Markup("")
    by_variable: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        by_variable.setdefault(str(r["variable"]), []).append(r)

    def pct(x: float | None) -> str:
        return "—" if x is None else tr.percent(float(x), 1)

    def share(r: Mapping[str, Any], side: str) -> float:
        return float(r.get(side) or 0.0)

    body = []
    for variable, levels in by_variable.items():
        shown: list[tuple[str, float | None, float | None]] = [
            (tr.text(str(r["level"])), r.get("before"), r.get("after")) for r in levels
        ]
        if len(levels) > MAX_GROUPS:
            big = [r for r in levels if max(share(r, "before"), share(r, "after")) >= SMALL_GROUP]
            rest = [r for r in levels if r not in big]
            shown = [(tr.text(str(r["level"])), r.get("before"), r.get("after")) for r in big]
            if rest:
                shown.append(
                    (
                        _fmt(_("{k} other groups, each under {share}"), k=len(rest), share=tr.percent(SMALL_GROUP)),
                        sum(share(r, "before") for r in rest),
                        sum(share(r, "after") for r in rest),
                    )
                )
        first = levels[0]
        head = Markup('<td rowspan="{k}">{v}<br><span class="n">{n}</span></td>').format(
            k=len(shown),
            v=tr.text(variable),
            n=_fmt(
                _("n = {before} before, {after} after"),
                before=tr.integer(first["n_before"]),
                after=tr.integer(first["n_after"]),
            ),
        )
        for i, (level, before, after) in enumerate(shown):
            body.append(
                Markup('<tr>{head}<td>{level}</td><td class="num">{b}</td><td class="num">{a}</td></tr>').format(
                    head=head if i == 0 else "", level=level, b=pct(before), a=pct(after)
                )
            )
    return Markup(
        '<table class="composition"><caption>{caption}</caption><thead><tr><th>{variable}</th><th>{group}</th>'
        "<th>{before}</th><th>{after}</th></tr></thead><tbody>{rows}</tbody></table>"
    ).format(
        caption=_fmt(
            _("What else changed between the two sides of {id}: the share of records in each group, before and after"),
            id=test["id"],
        ),
        variable=_("variable"),
        group=_("group"),
        before=_("before"),
        after=_("after"),
        rows=Markup("").join(body),
    )


# -- figures -------------------------------------------------------------------------------------

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"


def _y(el: ET.Element) -> float:
    m = re.search(r"translate\(\s*[-\d.]+[ ,]+([-\d.]+)", el.get("transform", ""))
    if m:
        return float(m.group(1))
    return float(el.get("y", "0") or 0)


def figure_svg(path: Path, tr: Translator) -> Markup:
    """A figure of the run as inline SVG, in the briefing's language: its title and source
    footer (said by the briefing's caption and source line instead) are removed and the
    drawing cropped to what is left; every other label is translated (:meth:`Translator.text`)
    or, when it is a number or a date, written the reader's way, keeping its number of lines."""
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text[text.index("<svg") :])
    ns = {"s": _SVG}
    figure = root.find("s:g[@id='figure_1']", ns)
    view = [float(v) for v in (root.get("viewBox") or "0 0 0 0").split()]
    if figure is not None and len(view) == 4:
        top, bottom = view[1], view[1] + view[3]
        own = [g for g in figure.findall("s:g", ns) if (g.get("id") or "").startswith("text_")]
        if own:
            ys = sorted(
                (min(_y(t) for t in g.iter(f"{{{_SVG}}}text")), g) for g in own if list(g.iter(f"{{{_SVG}}}text"))
            )
            title_g = ys[0][1] if ys and ys[0][0] < view[3] * 0.15 else None
            for y, g in ys:
                figure.remove(g)
                if g is title_g:
                    top = max(_y(t) for t in g.iter(f"{{{_SVG}}}text")) + 6
                else:
                    bottom = min(bottom, y - 9)
            bottom = min(bottom, _lowest(figure) + 4)
            root.set("viewBox", f"{view[0]:g} {top:g} {view[2]:g} {max(1.0, bottom - top):g}")
    for g in root.iter(f"{{{_SVG}}}g"):
        lines = [t for t in g.findall("s:text", ns)]
        if not lines:
            continue
        original = " ".join((t.text or "").strip() for t in lines)
        translated = tr.text(original)
        if len(lines) == 1:
            lines[0].text = translated
            continue
        width = max(len(t.text or "") for t in lines)
        wrapped = textwrap.wrap(translated, width) or [""]
        while len(wrapped) > len(lines):
            width += 4
            wrapped = textwrap.wrap(translated, width)
        for t, line in zip(lines, wrapped + [""] * (len(lines) - len(wrapped))):
            t.text = line
    root.attrib.pop("width", None)
    root.attrib.pop("height", None)
    root.set("class", "chart")
    root.set("role", "img")
    for el in list(root):
        if el.tag == f"{{{_SVG}}}metadata":
            root.remove(el)
    return Markup(_html_svg(ET.tostring(root, encoding="unicode")))


def _html_svg(text: str) -> str:
    """Serialised SVG as an HTML parser reads it (browsers, WeasyPrint): the SVG namespace the default
    one, xlink's prefix ``xlink``.  ElementTree's prefixes are global and other libraries register
    their own (``svg:``, ``ns0:``), so they are renamed here rather than registered."""
    for uri, wanted in ((_SVG, ""), (_XLINK, "xlink")):
        m = re.search(rf'xmlns(?::([\w.-]+))?="{re.escape(uri)}"', text)
        if m is None or (m.group(1) or "") == wanted:
            continue
        old = m.group(1) or ""
        declaration = f'xmlns:{wanted}="{uri}"' if wanted else f'xmlns="{uri}"'
        text = text[: m.start()] + declaration + text[m.end() :]
        if old:
            text = re.sub(rf"(</?){re.escape(old)}:", rf"\g<1>{wanted + ':' if wanted else ''}", text)
            text = re.sub(rf"(\s){re.escape(old)}:(?=[\w-]+=)", rf"\g<1>{wanted}:" if wanted else r"\g<1>", text)
    return text


def _lowest(figure: ET.Element) -> float:
    """The lowest point drawn in a matplotlib figure group (paths, markers and texts; the figure's
    background rectangle left out), in SVG user units."""
    low = 0.0
    for child in figure:
        if child.get("id") == "patch_1":
            continue
        for el in child.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "path" and el.get("d"):
                numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", el.get("d", ""))]
                ys = numbers[1::2]
                if ys and "transform" not in el.attrib:
                    low = max(low, max(ys))
            elif tag == "use" and el.get("y"):
                low = max(low, float(el.get("y", "0")))
            elif tag == "text":
                low = max(low, _y(el) + 3)
    return low


# -- the page ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("borderscape", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _css() -> str:
    return (resources.files("borderscape") / "static" / "brief.css").read_text(encoding="utf-8")


def _method_families(tests: Sequence[Mapping[str, Any]], tr: Translator) -> list[dict[str, Any]]:
    """The methods of the results that ran, in plain words, each with the ids it applies to and
    the references its technical description cites."""
    out: dict[str, dict[str, Any]] = {}
    for t in tests:
        method = str(t.get("method") or "")
        if t.get("status") != "ran" or not method:
            continue
        label = next((tr.gettext(text) for pattern, text in METHODS if re.search(pattern, method)), None)
        if label is None:
            label = tr.text(method)
        entry = out.setdefault(label, {"label": label, "ids": [], "refs": []})
        entry["ids"].append(str(t["id"]))
        for name, year in _REFERENCE.findall(method):
            ref = f"{name} {year}"
            if ref not in entry["refs"]:
                entry["refs"].append(ref)
    return list(out.values())


def _lines(text: str, per_line: int) -> int:
    return max(1, math.ceil(len(re.sub(r"<[^>]+>", "", text)) / per_line)) if text else 0


def _area_height(paragraphs: Sequence[str], findings: Sequence[str], title: str, caption: str) -> float:
    """The height (mm) the study-area map may take on page 1 of the PDF so that page 1 holds the
    title, the findings, the map and the closing lines: A4 less the margins and an estimate of the
    text's height (9 pt text about 112 characters a line on 180 mm, 4.2 mm a line; 8 pt captions
    about 125), between 40 and 90 mm."""
    text = 7.5 * _lines(title, 48) + 10  # title (17 pt) and subtitle
    text += sum(4.2 * _lines(p, 112) + 4 for p in paragraphs if p)
    text += 10 + sum(4.2 * _lines(f, 106) + 1.2 for f in findings)  # heading and the numbered findings
    text += 3.6 * _lines(caption, 125) + 6
    return float(max(40.0, min(90.0, 265 - 10 - text)))


def _end(text: str) -> str:
    """``text`` ending with a full stop (a citation may end with one already)."""
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _ids(ids: Sequence[str], limit: int = 4) -> str:
    return ", ".join(ids[:limit]) + (f", … (+{len(ids) - limit})" if len(ids) > limit else "")


def _question_caveats(members: Sequence[Mapping[str, Any]], ctx: Context) -> list[dict[str, Any]]:
    """The caveats and data notes of a question's results, each said once, with the results it
    applies to (the "against the declared direction" caveat is left out: the sentence says it)."""
    seen: dict[str, list[str]] = {}
    for t in members:
        if t.get("status") != "ran":
            continue
        texts = list(t.get("caveats") or ())
        reason = str(t.get("reason") or "").strip()
        if reason:
            texts.append(reason)
        for c in texts:
            if "against the direction declared" in c or "crosses no effect" in c:
                continue
            seen.setdefault(c, []).append(str(t["id"]))
    return [{"text": ctx.tr.text(c), "ids": _ids(ids)} for c, ids in seen.items()]


def _skipped_reason(t: Mapping[str, Any], present: set[str], ctx: Context) -> str:
    """Why a result was not computed, in words (the layers the run lacked, else the first
    sentence of its reason, translated)."""
    lacking = [
        r
        for req in needs(str(t["id"]))
        for r in ((req,) if isinstance(req, str) else req)
        if r not in present and (isinstance(req, str) or not any(o in present for o in req))
    ]
    lacking += [r for r in re.findall(r"\bNo (\w+) layer\b", str(t.get("reason") or "")) if r not in present]
    if lacking:
        return _fmt(
            ctx._("the run had no {data}"),
            data=_and([ctx._(ROLE_WORDS.get(r, r)) for r in dict.fromkeys(lacking)], ctx),
        )
    first = re.split(r"(?<=\.)\s", str(t.get("reason") or ""), maxsplit=1)[0]
    return ctx.tr.text(first.rstrip("."))


def _remedies(missing: Mapping[str, str], ctx: Context) -> list[dict[str, Any]]:
    """What to supply for each layer the run lacked: the options of its remedy, translated, with
    their commands as code."""
    out = []
    for role, text in missing.items():
        todo = re.split(r"\s*What to do:\s*", text, maxsplit=1)
        options = [o.strip().rstrip(".") for o in re.split(r";\s*or\s+", todo[1] if len(todo) > 1 else "") if o.strip()]
        out.append(
            {
                "what": _cap(ctx._(ROLE_WORDS.get(role, role))),
                "options": [_code(_cap(ctx.tr.text(o))) for o in options],
            }
        )
    return out


_COMMAND = re.compile(r"`([^`]+)`|(--[\w-]+(?: (?:FILE|DIR|URL|W,S,E,N))?|BORDERSCAPE_DATA=DIR)")


def _code(text: str) -> Markup:
    """A remedy with its commands and options as ``<code>`` (not translated)."""
    out = []
    last = 0
    for m in _COMMAND.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(Markup('<code translate="no">{}</code>').format(m.group(1) or m.group(2)))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def brief_html(
    results: Mapping[str, Any],
    *,
    title: str,
    description: str,
    figures: Path,
    battery: str = "funnel",
    period: tuple[str, str] | None = None,
    interventions: Sequence[tuple[str, str]] = (),
    shocks: Sequence[tuple[str, str]] = (),
    caveats: Sequence[str] | None = None,
    sensors: Mapping[str, Mapping[str, Any]] | None = None,
    missing: Mapping[str, str] | None = None,
    study_name: str | None = None,
    version: str | None = None,
    run_link: str = "run",
    lang: str = "en",
    translator: Translator | None = None,
) -> str:
    """The briefing page, in ``lang``.

    Parameters
    ----------
    results
        The content of a run's ``results.json``.
    title, description
        The study's title and description (English, translated when the catalogue knows them).
    figures
        The run's ``figures/`` folder; its SVG files are inlined (translated, :func:`figure_svg`).
    battery
        ``funnel`` or ``maritime``.
    period
        First and last day of the study (ISO dates).
    interventions, shocks
        ``(date, name)`` of each intervention and of each known co-occurring shock.
    caveats
        The study's caveats (default: ``results["caveats"]``).
    sensors
        The study's defaults per sensor kind (the assumptions its caveats refer to).
    missing
        Role → why the run had no such layer and what to do (``provenance.json`` ``missing``): the
        page-1 line and the "How to reproduce" section.
    study_name
        The study's name or file, for the commands of "How to reproduce".
    version
        borderscape's version, printed in the header.
    run_link
        Relative URL of the run folder from the briefing's folder (links to the map, tables, figures).
    lang
        ``en``, ``es``, ``fr`` or ``it`` (:data:`borderscape.i18n.LANGUAGES`).
    translator
        The :class:`~borderscape.i18n.Translator` to write with (its :attr:`untranslated` then
        lists the texts no catalogue message matched); default a new one of ``lang``.

    Returns
    -------
    str
        A complete HTML document with no script and no external reference.
    """
    tr = translator or Translator(check_language(lang))
    lang = tr.lang
    _ = tr.gettext
    simulated = bool(results.get("simulated"))
    tests = list(results["tests"])
    families = tested(tests)
    events = {str(d)[:10]: str(n) for d, n in (*shocks, *interventions)}
    ctx = Context(tr, battery, events, period, tests, families)
    present = {str(s.get("role")) for s in results.get("sources", ())}
    missing = dict(missing or {})

    def family(t: Mapping[str, Any]) -> int | None:
        return families.get("primary" if t.get("role") == "primary" else str(t["id"]).split(".")[0])

    groups: dict[str, list[Mapping[str, Any]]] = {}
    for t in tests:
        groups.setdefault(str(t["id"]).split(".")[0], []).append(t)

    findings = []
    questions = []
    for prefix, members in groups.items():
        primary = next((t for t in members if t.get("role") == "primary"), None)
        anchor = f"q-{prefix}"
        if primary is not None and primary.get("status") == "ran":
            findings.append(finding(primary, ctx, anchor))
        ran = [t for t in members if t.get("status") == "ran"]
        questions.append(
            {
                "prefix": prefix,
                "anchor": anchor,
                "question": _(QUESTIONS[prefix]) if prefix in QUESTIONS else prefix,
                "primary": primary,
                "primary_line": headline(primary, family(primary), ctx)
                if primary and primary["status"] == "ran"
                else "",
                "primary_skipped": _skipped_reason(primary, present, ctx)
                if primary and primary["status"] != "ran"
                else "",
                "robustness": robustness_table(primary, ctx) if primary and primary["status"] == "ran" else "",
                "composition": composition_table(primary, ctx) if primary and primary["status"] == "ran" else "",
                "secondary": [
                    (t["id"], headline(t, family(t), ctx))
                    for t in ran
                    if t is not primary and t.get("role") != "descriptive"
                ],
                "descriptive": [(t["id"], headline(t, None, ctx)) for t in ran if t.get("role") == "descriptive"],
                "skipped": [
                    (t["id"], _skipped_reason(t, present, ctx))
                    for t in members
                    if t.get("status") != "ran" and t is not primary
                ],
                "caveats": _question_caveats(members, ctx),
            }
        )

    shown_title = tr.text(title)
    if simulated:
        shown_title = f"{_('SIMULATED DATA')} — {shown_title}"
    when = tr.period(*period, long=True) if period else ""
    figure_parts = []
    area: dict[str, Any] | None = None
    roles_by_source: dict[str, list[str]] = {}
    for s in results.get("sources", ()):
        roles_by_source.setdefault(str(s.get("role")), []).append(str(s.get("publisher")))
    for stem, caption, roles in FIGURES:
        path = figures / f"{stem}.svg"
        if not path.is_file():
            continue
        publishers = list(dict.fromkeys(p for r in roles for p in roles_by_source.get(r, ())))
        entry: dict[str, Any] = {
            "stem": stem,
            "svg": figure_svg(path, tr),
            "caption": _(caption),
            "sources": "; ".join(publishers),
        }
        if stem == "study_area":
            area = entry
        else:
            figure_parts.append(entry)
    sensor_rows = []
    for kind, s in (sensors or {}).items():
        sensor_rows.append(
            {
                "kind": kind,
                "height": tr.number(float(s["height_m"])) + "\u00a0m" if s.get("height_m") is not None else "—",
                "range": tr.number(float(s["range_m"]) / 1000) + "\u00a0" + _("km")
                if s.get("range_m") is not None
                else "—",
                "since": tr.date(str(s["active_from"])) if s.get("active_from") else "—",
                "iso": str(s["active_from"])[:10] if s.get("active_from") else "",
                "basis": tr.text(str(s.get("basis") or "")),
            }
        )
    records = []
    for role, c in (results.get("records") or {}).items():
        out = [f"{tr.integer(c[k])} {_(EXCLUDED[k])}" for k in EXCLUDED if c.get(k)]
        line = _fmt(
            _("{role}: {inside} of {read} records inside the study region and period"),
            role=_cap(_(ROLE_WORDS.get(role, role))),
            inside=tr.integer(c["inside"]),
            read=tr.integer(c["read"]),
        )
        records.append(line + (f" ({', '.join(out)})" if out else "") + ".")
    tested_primaries = [
        t for t in tests if t.get("role") == "primary" and t.get("status") == "ran" and t.get("p_adjusted") is not None
    ]
    held = sum(1 for t in tested_primaries if t["p_adjusted"] < ALPHA)
    verdict = (
        _fmt(
            tr.ngettext(
                "Of the one question whose primary result could be tested, {held} is unlikely to be chance alone.",
                "Of the {n} questions whose primary result could be tested, {held} are unlikely to be chance alone after "
                "adjusting for the number of questions.",
                len(tested_primaries),
            ),
            n=len(tested_primaries),
            held=held,
        )
        if tested_primaries
        else _("No question's primary result could be tested.")
    )
    sources = []
    for s in results.get("sources", ()):
        sources.append(
            {
                "publisher": s.get("publisher", ""),
                "role": _(ROLE_WORDS.get(str(s.get("role")), str(s.get("role")))),
                "id": s.get("id", ""),
                "licence": _end(tr.text(str(s.get("licence") or ""))),
                "citation": _end(str(s.get("citation") or "")),
                "url": s.get("url") or "",
                "caveat": tr.text(str(s.get("caveats") or "")) if s.get("caveats") else "",
            }
        )
    na_line = not_assessed(tests, present, missing, ctx)
    lead = tr.text(description) if description else ""
    lead_first = bool(lead)  # the description opens page 1 when the map keeps at least 60 mm beside it
    if area is not None:
        closing = [na_line, _(LIMITS.get(battery, LIMITS["funnel"])) + " " + _(CARE)]
        closing.append(chance_note(families.get("primary", 0), ctx))
        texts = ([str(f) for f in findings], shown_title, area["caption"] + " " + area["sources"])
        area["height"] = _area_height([lead, *closing], *texts)
        if lead and area["height"] < 60:
            lead_first = False
            area["height"] = _area_height(closing, *texts)
    name = study_name or str(results.get("study", "STUDY"))
    banner = _("SIMULATED DATA").replace("\\", "\\\\").replace('"', '\\"')
    sim_css = (
        Markup(f'@page {{ @top-center {{ content: "{banner}"; color: #b00000; font-weight: bold; }} }}\n')
        if simulated
        else ""
    )
    page = (
        _environment()
        .get_template("brief.html")
        .render(
            sim_css=sim_css,
            seed_line=_fmt(
                _(
                    "Seed: {seed}. The input files with their checksums, the parameters and the versions of the "
                    "software are in the run's provenance.json."
                ),
                seed=results.get("seed"),
            ),
            _=_,
            lang=lang,
            title=shown_title,
            subtitle=_fmt(
                _("Briefing on {period}; made with borderscape {version}."),
                period=when or _("the study period"),
                version=version or "",
            ),
            description=lead,
            lead_first=lead_first,
            simulated=simulated,
            css=Markup(_css()),
            findings=findings,
            area=area,
            not_assessed=na_line,
            chance_note=chance_note(families.get("primary", 0), ctx) if families.get("primary") else "",
            limits=_(LIMITS.get(battery, LIMITS["funnel"])),
            care=_(CARE),
            verdict=verdict,
            counts=_fmt(
                _("{questions} questions were asked; {ran} results were computed and {skipped} could not be."),
                questions=len(groups),
                ran=sum(t.get("status") == "ran" for t in tests),
                skipped=sum(t.get("status") != "ran" for t in tests),
            ),
            figures=figure_parts,
            questions=questions,
            roles_note=_(ROLES_NOTE),
            method=_(METHOD.get(battery, METHOD["funnel"])),
            methods=_method_families(tests, tr),
            interventions=[(str(d)[:10], tr.date(d), tr.text(n)) for d, n in interventions],
            shocks=[(str(d)[:10], tr.date(d), tr.text(n)) for d, n in shocks],
            caveats=[tr.text(c) for c in (results.get("caveats", []) if caveats is None else caveats)],
            sensors=sensor_rows,
            records=records,
            sources=sources,
            remedies=_remedies(missing, ctx),
            study_name=name,
            seed=results.get("seed"),
            run_link=run_link,
            lang_options=" | ".join(LANGUAGES),
        )
    )
    return str(page)


#: The roles of the results and how their p-values are adjusted, in one plain paragraph.
ROLES_NOTE = N_(
    "Each question has one primary result, named with its expected direction in the study file before the run "
    "reads the data (where it was chosen after earlier results, its caveats say so); the key findings are these. "
    "Whether a primary result could be chance is judged after adjusting for the number of questions tested (Holm "
    "1979), so that the chance of even one false alarm among all of them stays at 5%. Secondary results qualify "
    "their question's primary result; they are adjusted among the results of their own question (Benjamini and "
    "Hochberg 1995). Descriptive results describe the setting: an estimate with its interval and n, not a test. "
    "Every sentence about chance is decided by the adjusted p-value; the unadjusted one is shown beside it."
)


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render ``html_path`` (its print styles) to ``pdf_path`` with WeasyPrint, atomically.

    Raises
    ------
    PDFError
        WeasyPrint or its system libraries (Pango) are missing, or rendering failed.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise PDFError(
            f"cannot write the PDF: WeasyPrint is not usable ({exc}); brief.html was written",
            remedy="install WeasyPrint (`pip install weasyprint`) and its system libraries "
            "(Debian/Ubuntu: `apt-get install libpango-1.0-0 libpangoft2-1.0-0`), then rerun; "
            "or print brief.html to PDF from a browser",
        ) from exc
    try:
        with atomic_path(pdf_path) as tmp:
            HTML(filename=str(html_path), base_url=str(Path(html_path).parent)).write_pdf(str(tmp))
    except (OSError, ValueError) as exc:
        raise PDFError(
            f"WeasyPrint could not render {html_path}: {exc}",
            remedy="check WeasyPrint's installation (`python -m weasyprint --info`); brief.html is "
            "complete and can be printed to PDF from a browser",
        ) from exc
    return Path(pdf_path)


def _version() -> str | None:
    try:
        return metadata.version("borderscape")
    except metadata.PackageNotFoundError:
        return None


def run_page(
    run: RunFolder,
    *,
    out: str | os.PathLike[str] | None = None,
    title: str | None = None,
    description: str | None = None,
    lang: str = "en",
    translator: Translator | None = None,
) -> str:
    """The briefing page of a run folder (:func:`brief_html` with the run's results, study and
    figures), in ``lang``; ``out`` is the folder the page will be written to (for its links to the
    run), ``title`` and ``description`` override the study's, ``translator`` as for
    :func:`brief_html`."""
    st, periods = run.study["study"], run.study["periods"]
    simulated = bool(run.results.get("simulated"))
    link = Path(os.path.relpath(run.path.resolve(), Path(out or run.path.parent).resolve())).as_posix()
    return brief_html(
        run.results,
        title=title or st["title"],
        description=st["description"] if description is None else description,
        figures=run.figures,
        battery=st.get("battery", "funnel"),
        period=None if simulated else (periods["start"], periods["end"]),
        interventions=() if simulated else tuple((i["date"], i["name"]) for i in periods["interventions"]),
        shocks=() if simulated else tuple((s["date"], s["name"]) for s in periods.get("shocks") or ()),
        sensors=run.study.get("sensors") or {},
        missing=run.missing,
        study_name=str(st.get("name") or run.results.get("study")),
        version=_version(),
        run_link=link,
        lang=lang,
        translator=translator,
    )


def brief_from(
    run_folder: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    title: str | None = None,
    description: str | None = None,
    lang: str = "en",
) -> BriefOutput:
    """Write ``<out>/brief.html`` and ``<out>/brief.pdf`` from a run folder, recomputing nothing.

    Parameters
    ----------
    run_folder
        A folder written by ``borderscape run`` (:func:`borderscape.runfolder.read_run`).
    out
        Output folder (may be the run folder's parent, as :func:`write_brief` does).
    title, description
        Override the study's title and description.
    lang
        The briefing's language: ``en``, ``es``, ``fr`` or ``it``.

    Raises
    ------
    InputError
        ``run_folder`` is not a complete run folder, or ``lang`` is not a language borderscape writes.
    PDFError
        The PDF could not be written (``brief.html`` is written first).
    """
    check_language(lang, pseudo=False)
    run = read_run(run_folder)
    out = Path(out)
    page = run_page(run, out=out, title=title, description=description, lang=lang)
    html_path = write_text_atomic(out / "brief.html", page)
    pdf_path = write_pdf(html_path, out / "brief.pdf")
    return BriefOutput(html_path, pdf_path, run)


def write_brief(
    study: str | os.PathLike[str] | Study,
    *,
    out: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    towers: str | os.PathLike[str] | None = None,
    dem: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    lang: str = "en",
) -> BriefOutput:
    """Run a study into ``<out>/run/``, then :func:`brief_from` that folder.

    Parameters
    ----------
    study
        A shipped study name, a TOML file, a :class:`Study`, or ``demo`` (the simulated world
        of ``borderscape demo``; every page then says ``SIMULATED DATA``).
    out
        Output folder.
    data_dir, towers, dem, seed, progress
        As for :func:`borderscape.pipeline.run_study` (``towers`` and ``dem`` not with ``demo``).
    lang
        The briefing's language: ``en``, ``es``, ``fr`` or ``it``.

    Returns
    -------
    BriefOutput

    Raises
    ------
    StudyError
        Unknown or malformed study.
    InputError
        ``lang`` is not a language borderscape writes.
    PDFError
        The PDF could not be written (``brief.html`` is written first).
    """
    check_language(lang, pseudo=False)
    # The analysis stack is imported only when a study is to be run: rendering a run folder
    # (brief_from) does not need it, and it takes seconds to import.
    from borderscape.pipeline import run_demo, run_study

    out = Path(out)
    folder = out / "run"
    if isinstance(study, str) and study == "demo" and not Path(study).exists():
        if towers is not None or dem is not None:
            raise InputError(
                "--towers and --dem do not apply to the demo's simulated world",
                remedy="leave them out, or brief a study file",
            )
        run = run_demo(out=folder, seed=0 if seed is None else seed, progress=progress)
        return brief_from(
            folder,
            out=out,
            title=DEMO_TITLE.format(seed=run.results["seed"]),
            description=DEMO_DESCRIPTION,
            lang=lang,
        )
    run_study(study, data_dir=data_dir, towers=towers, dem=dem, out=folder, seed=seed, progress=progress)
    return brief_from(folder, out=out, lang=lang)


#: The demo's title and description (English; translated in the briefing through the ``texts`` catalogue).
DEMO_TITLE = "A generated border world (borderscape demo, seed {seed})"
DEMO_DESCRIPTION = (
    "A simulated desert border with terrain, roads, towers deployed in stages, and remains whose locations were "
    "generated with a planted funnel effect. It shows what a briefing reports and checks that the tests find an "
    "effect that is known to be there."
)
