"""The words of a result: what each result of the battery says, in sentences a reader can quote.

A result of ``results.json`` becomes a :class:`Reading` (what kind of effect it is — a difference, a
ratio, a trend, a share — its unit, and how to name it) by :func:`reading`; :func:`finding` writes it
as a sentence with its interval, whether it could be chance (decided by ``p_adjusted``, never the raw
p-value: :func:`chance_words`), its direction and its robustness; :func:`robustness_table` and
:func:`composition_table` show its sensitivity variants and what else changed.  Every text goes
through a :class:`~borderscape.i18n.Translator` (:class:`Context`).

Used by the briefing (:mod:`borderscape.brief`, which assembles the document) and by the map's
panel of results (:mod:`borderscape.webmap`), so that one result is named the same way in both;
it imports neither of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from borderscape.analyses.needs import needs
from borderscape.i18n import N_, Translator

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
                    "worlds; on its own it does not show that towers caused anything."
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
