"""A briefing of a study run: one self-contained HTML page (with print styles) and a PDF.

:func:`write_brief` (``borderscape brief``) runs the study with
:func:`borderscape.pipeline.run_study` into ``<out>/run/`` (so every number of the briefing is the
number of that run's ``results.json``, and the tables, figures, map and provenance lie
beside it), then writes

``brief.html``
    The headline numbers — the primary result of each question (its role ``primary``), with its
    estimate, interval, n, method, adjusted p-value and caveats — and one short paragraph on the
    roles and the adjustment; the study-area map and the charts (inline SVG); the results by
    question: the primary with its robustness table (``sensitivity``) and its composition table
    (``composition``: what else changed between the two sides), then the secondary results; the
    descriptive results in their own section, with no p-value language; the results that could
    not be computed with the reason and the remedy; a short method with the method of each
    number as a footnote; the caveats; and the sources with their licences.  No script, no external request, every text escaped
    with :func:`html.escape`; an ``@media print`` / ``@page`` section lays it out on A4.
``brief.pdf``
    ``brief.html`` rendered by WeasyPrint (the print styles).

Each number is written by :func:`number`: ``|x| ≥ 1000`` with thousands separators and no
decimals, ``0.001 ≤ |x| < 1000`` with three significant digits (``format(x, ".3g")``), smaller
numbers in scientific notation, ``0`` as ``0``.

The briefing states what was compared, the estimate with its unit, the interval and n; for a
test, whether it could be chance, decided by the adjusted p-value (``p_adjusted``: Holm across
the primary results, Benjamini–Hochberg within a question), never by the raw one
(:func:`chance_words`).  It does not claim causes beyond what a test supports, forecasts nothing
and ranks no place for enforcement.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from borderscape.analyses.needs import Notice
from borderscape.analyses.study import Study
from borderscape.errors import BorderscapeError, InputError
from borderscape.figures import SIMULATED
from borderscape.geo.files import atomic_path, write_text_atomic
from borderscape.runfolder import RunFolder, read_run
from borderscape.webmap import static_text

#: Said in every briefing, whatever the study.
LIMITS = (
    "Remains are found where people died, not where they walked; deaths are undercounted, and more so "
    "where the terrain or the sea is remote."
)
#: Figures of a run, in the order of the briefing: (file stem, caption).
FIGURES = (
    (
        "study_area",
        "The study area. Records are counted per grid cell (circle area proportional to the count); "
        "no single record is shown.",
    ),
    (
        "hardship_over_time",
        "Hardship at the places where remains were recovered, by year: median (line) and interquartile range (band).",
    ),
    (
        "mortality_per_encounter",
        "Recovered remains per 10,000 Border Patrol encounters, by month; dashed lines mark the interventions.",
    ),
    (
        "mortality_per_crossing",
        "Dead and missing per 1,000 attempted sea crossings, by month, with exact 95 % "
        "intervals; dashed lines mark the interventions.",
    ),
    ("coverage_growth", "Area within reach of active surveillance, by epoch."),
    (
        "cross_l_envelope",
        "Cross-L function of remains around the sensors: observed minus expected, against the "
        "range expected under the null model.",
    ),
    ("hotspots_by_period", "Gi* hot and cold spots by period (false discovery rate controlled)."),
)
#: Plain titles of the hypotheses of both batteries (by id prefix).
HYPOTHESES = {
    "H1": "Coverage displacement: fewer remains inside surveillance coverage than expected?",
    "H2": "Hardship: are remains found in harder terrain over time?",
    "H3": "Routes: do routes that avoid coverage cost more energy?",
    "H4": "Mortality rate: deaths per Border Patrol encounter",
    "H5": "Hot spots of remains, by period",
    "M1": "Deaths per attempted crossing",
    "M2": "Distances of deaths from the departure coast and from operational areas",
    "M3": "Deaths inside each search-and-rescue region",
    "M4": "Deaths by the asset that detected the boat",
    "M5": "Hot spots of incidents, by period",
}
METHOD = {
    "funnel": (
        "The funnel-effect battery after Chambers, Boyce, Launius & Dinsmore (2019, J. Borderlands Studies): "
        "the places where remains were recovered are compared with the coverage of the surveillance towers "
        "active at the time (modelled viewsheds), with the terrain, roads and water between them, before and "
        "after each intervention; mortality is related to Border Patrol encounters; Gi* hot spots are "
        "compared between periods."
    ),
    "maritime": (
        "The maritime battery: dead and missing per attempted crossing (arrivals plus interceptions plus "
        "dead and missing), interrupted time series around each intervention, the distance of deaths from "
        "the departure coast and from the operational areas in force, the share of deaths inside each "
        "search-and-rescue region, deaths by the asset that detected the boat, and Gi* hot spots by period."
    ),
}


class PDFError(BorderscapeError):
    """The PDF could not be written (WeasyPrint or its system libraries are missing or failed)."""


@dataclass(frozen=True, eq=False)
class BriefOutput:
    """What :func:`write_brief` wrote: the page, the PDF and the run behind them."""

    html: Path
    pdf: Path
    run: RunFolder


# -- words and numbers -------------------------------------------------------------------------


def number(x: float) -> str:
    """A number as the briefing prints it (rules in the module docstring).

    >>> number(6885.51), number(13.5005), number(-0.0162406), number(0.0), number(1.2e-5)
    ('6,886', '13.5', '-0.0162', '0', '1.20e-05')
    """
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1e-3:
        return f"{x:.3g}"
    return f"{x:.2e}"


def split_unit(name: str) -> tuple[str, str]:
    """A test's name and its unit: the parenthesis that ends the name, when it reads as a unit
    (no digit, and at most four words unless it names a ratio); else ``(name, "")``.

    >>> split_unit("slope at remains: median after minus median before 2006-09-21 (degrees)")
    ('slope at remains: median after minus median before 2006-09-21', 'degrees')
    >>> split_unit("rate after / rate before 2020-03-21 (Title 42 expulsions begin)")
    ('rate after / rate before 2020-03-21 (Title 42 expulsions begin)', '')
    """
    m = re.match(r"^(.*\S)\s*\(([^()]*)\)\s*$", name)
    if (
        not m
        or re.search(r"\d", m.group(2))
        or (len(m.group(2).split()) > 4 and not re.search(r"\bratio\b", m.group(2)))
    ):
        return name, ""
    return m.group(1), m.group(2)


#: The level below which an adjusted p-value reads as "unlikely to be chance alone".
ALPHA = 0.05

#: The roles of the results and how their p-values are adjusted, in one plain paragraph.
ROLES_NOTE = (
    "Each question has one <i>primary</i> result, named with its expected direction in the study file before "
    "the run reads the data (where it was chosen after earlier results, its caveats say so); the headlines are "
    "these. Whether a primary result could be chance is judged after "
    "adjusting for the number of questions tested (Holm 1979), so that the chance of even one false alarm "
    "among all of them stays at 5&nbsp;%. <i>Secondary</i> results qualify their question's primary result; "
    "they are adjusted among the results of their own question (Benjamini &amp; Hochberg 1995). "
    "<i>Descriptive</i> results describe the setting: an estimate with its interval and n, not a test. Every "
    "sentence below about chance is decided by the adjusted p-value; the unadjusted one is shown beside it."
)


def _permutations(test: Mapping[str, Any]) -> int | None:
    """The number of reshuffles behind a permutation-test p-value, when the p-value is one
    (p = (1 + k) / (N + 1) for an integer k)."""
    n = (test.get("parameters") or {}).get("permutations")
    p = test.get("p_value")
    if not isinstance(n, int) or n <= 0 or p is None or "permutation" not in test.get("method", "").lower():
        return None
    hits = p * (n + 1)
    return n if abs(hits - round(hits)) < 1e-6 else None


def p_text(p: float) -> str:
    """A p-value as printed: ``< 0.001`` below 0.001, else two significant digits (``= 0.031``).

    >>> p_text(0.0312), p_text(3e-7), p_text(0.25)
    ('= 0.031', '< 0.001', '= 0.25')
    """
    return "< 0.001" if p < 0.001 else f"= {p:.2g}"


def p_value_words(test: Mapping[str, Any]) -> str:
    """The unadjusted p-value of a test as plain words (no verdict: that is :func:`chance_words`'s).

    A permutation test: "unadjusted p = 0.001; none of 999 random reshuffles of the data gave a
    result this extreme" or "unadjusted p = 0.022; a result at least this extreme arose in 21 of
    999 random reshuffles of the data"; any other test: "unadjusted p = 0.03" (a lower-case p).
    """
    p = test["p_value"]
    if p is None:
        return "no p-value"
    text = f"unadjusted p {p_text(p)}"
    n = _permutations(test)
    if n is not None:
        k = int(round(p * (n + 1))) - 1
        text += (
            f"; none of {n:,} random reshuffles of the data gave a result this extreme"
            if k <= 0
            else f"; a result at least this extreme arose in {k:,} of {n:,} random reshuffles of the data"
        )
    return text


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


def chance_words(test: Mapping[str, Any], family: int | None = None) -> str:
    """Whether a result could be chance, in one sentence decided by its adjusted p-value.

    ``family`` is the number of results the adjustment was made across (:func:`tested`).  A
    primary result: "After adjusting for the 4 questions tested, unlikely to be chance alone
    (adjusted p = 0.0004; unadjusted p = 0.0001)." or "…, could be chance (adjusted p = 0.32; …)."; a
    secondary result says "the N secondary results of H2".  A descriptive result, or one without a
    p-value, gets no sentence (``""``); a p-value that was not adjusted is not judged.
    """
    role = test.get("role")
    if role == "descriptive" or test.get("status") != "ran" or test.get("p_value") is None:
        return ""
    adjusted = test.get("p_adjusted")
    if adjusted is None:
        return f"Not adjusted for the other tests, so not judged against chance ({p_value_words(test)})."
    verdict = "unlikely to be chance alone" if adjusted < ALPHA else "could be chance"
    question = str(test["id"]).split(".")[0]
    if role == "primary":
        what = "question tested" if family == 1 else "questions tested"
    else:
        what = f"secondary result of {question}" if family == 1 else f"secondary results of {question}"
    among = f"the {'one' if family == 1 else family or 'several'} {what}"
    return f"After adjusting for {among}, {verdict} (adjusted p {p_text(adjusted)}; {p_value_words(test)})."


def direction_words(test: Mapping[str, Any]) -> str:
    """For a primary result with a declared direction (``increase`` or ``decrease``): whether its
    estimate lies in that direction or against it, in one sentence; else ``""``."""
    wanted = {"increase": 1, "decrease": -1}.get(str(test.get("direction")), 0)
    est = test.get("estimate")
    if test.get("role") != "primary" or not wanted or est is None or test.get("status") != "ran":
        return ""
    side = (est > test.get("null_value", 0.0)) - (est < test.get("null_value", 0.0))
    if side == 0:
        return ""
    article = "an" if test["direction"] == "increase" else "a"
    said = f"the direction declared in the study file ({article} {test['direction']})"
    return f"In {said}." if side == wanted else f"Against {said}."


def interval_words(test: Mapping[str, Any]) -> str:
    """The interval of a test in words (its level from ``parameters.confidence``, default 95 %)."""
    ci = test.get("ci")
    params = test.get("parameters") or {}
    level = f"{100 * float(params.get('confidence', 0.95)):g} %"
    if ci is None or ci == [None, None]:
        return "no interval"
    lo, hi = ci
    envelope = "envelope" in str(params.get("ci_kind", ""))
    kind = f"range expected with no effect ({level} null envelope)" if envelope else f"{level} confidence interval"
    if lo is None:
        return f"{kind}: up to {number(hi)}"
    if hi is None:
        return f"{kind}: from {number(lo)}"
    return f"{kind} {number(lo)} to {number(hi)}"


def _value(test: Mapping[str, Any], est: float | None) -> str:
    """An estimate with its unit (from the test's name) and, for a ratio or a share, how to read it."""
    _, unit = split_unit(test["name"])
    value = "not defined" if est is None else number(est)
    if unit:
        value += f" {unit}" if len(unit.split()) <= 3 else f" ({unit})"
    lowered = test["name"].lower()
    if est is not None and re.search(r"\bratio\b", lowered):
        value += "; a ratio of 1 means no difference"
    elif est is not None and "share" in lowered:
        change = any(w in lowered for w in ("−", " minus ", "after - before"))
        value += f" (that is {100 * est:.3g} {'percentage points' if change else '%'})"
    return value


def headline(test: Mapping[str, Any], family: int | None = None) -> str:
    """One plain sentence for a result that ran: what was compared, the estimate with its unit,
    the interval and n; then, for a primary result, whether it lies in the declared direction,
    and for a test, whether it could be chance (:func:`chance_words`, decided by the adjusted
    p-value).  A descriptive result has no p-value language.  Plain text: escape it for HTML."""
    what, _ = split_unit(test["name"])
    n = test.get("n")
    count = "" if n is None else f"; n = {n:,}"
    text = f"{what[:1].upper()}{what[1:]}: {_value(test, test['estimate'])} ({interval_words(test)}{count})."
    return " ".join(w for w in (text, direction_words(test), chance_words(test, family)) if w)


# -- the page ----------------------------------------------------------------------------------


def _role_tag(test: Mapping[str, Any]) -> str:
    """`` primary`` … after a result's id, as a small label."""
    role = test.get("role")
    return f' <span class="role role-{html.escape(role, quote=True)}">{html.escape(role)}</span>' if role else ""


def _caveat_list(test: Mapping[str, Any]) -> str:
    """A result's caveats as a list (escaped); the one saying the estimate lies against the declared
    direction is left out when :func:`direction_words` already says so in the sentence."""
    said = direction_words(test).startswith("Against")
    items = [c for c in test.get("caveats") or () if not (said and "against the direction declared" in c)]
    return '<ul class="caveats">' + "".join(f"<li>{html.escape(c)}</li>" for c in items) + "</ul>" if items else ""


def _sign(x: float | None, null: float) -> int:
    return 0 if x is None else (x > null) - (x < null)


def _interval(ci: Sequence[float | None] | None) -> str:
    if not ci or all(v is None for v in ci):
        return "—"
    lo, hi = ci
    return f"{'…' if lo is None else number(lo)} to {'…' if hi is None else number(hi)}"


def robustness_table(test: Mapping[str, Any]) -> str:
    """The robustness table of a result (its ``sensitivity`` variants): variant, estimate, interval,
    n and note, below a first row with the result as reported; a variant on the other side of no
    effect says so in its note (not a placebo split, expected to find nothing).  ``""`` when the
    result has no variant.  Every text is escaped."""
    variants = test.get("sensitivity") or []
    if not variants:
        return ""
    e = html.escape
    _, unit = split_unit(test["name"])
    null = float(test.get("null_value") or 0.0)
    side = _sign(test.get("estimate"), null)

    def row(name: str, est: float | None, ci: Any, n: int | None, why: str, cls: str = "") -> str:
        # a placebo split is expected to find nothing: its sign says nothing about robustness (as in
        # analyses.battery.declare)
        flip = bool(side) and _sign(est, null) == -side and not name.lower().startswith("placebo")
        why = ("On the other side of no effect. " if flip else "") + (why or "")
        klass = " ".join(c for c in (cls, "flip" if flip else "") if c)
        attr = f' class="{klass}"' if klass else ""
        return (
            f"<tr{attr}><td>{e(name)}</td>"
            f'<td class="num">{"not computed" if est is None else number(est)}</td>'
            f'<td class="num">{_interval(ci)}</td><td class="num">{"" if n is None else f"{n:,}"}</td>'
            f"<td>{e(why)}</td></tr>"
        )

    rows = [row("as reported (this result)", test.get("estimate"), test.get("ci"), test.get("n"), "", "main")]
    rows += [row(v["name"], v.get("estimate"), v.get("ci"), v.get("n"), v.get("note", "")) for v in variants]
    return (
        f'<table class="robustness"><caption>Robustness of <code>{e(test["id"])}</code>: the same estimate on '
        "other records or under other assumptions</caption><thead><tr><th>variant</th>"
        f"<th>estimate{f' ({e(unit)})' if unit else ''}</th><th>interval</th><th>n</th><th>note</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


#: A variable of a composition table with more groups than this shows only those with at least
#: :data:`SMALL_GROUP` of the records on one side, the others summed in one row (all are in the CSV).
MAX_GROUPS = 8
SMALL_GROUP = 0.02


def composition_table(test: Mapping[str, Any]) -> str:
    """What else changed between the two sides of a before/after result (its ``composition``): for
    each variable, the share of records at each level before and after, with the records whose
    variable is known.  A variable with more than :data:`MAX_GROUPS` levels shows those with at
    least :data:`SMALL_GROUP` on one side and sums the rest in one row ("12 other groups, each
    under 2 %"); ``tables/composition.csv`` holds every level.  ``""`` when the result has none.
    Every text is escaped."""
    rows = test.get("composition") or []
    if not rows:
        return ""
    e = html.escape
    by_variable: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        by_variable.setdefault(str(r["variable"]), []).append(r)

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{100 * x:.1f} %"

    def share(r: Mapping[str, Any], side: str) -> float:
        return float(r.get(side) or 0.0)

    body = []
    for variable, levels in by_variable.items():
        shown: list[tuple[str, float | None, float | None]] = [
            (str(r["level"]), r.get("before"), r.get("after")) for r in levels
        ]
        if len(levels) > MAX_GROUPS:
            big = [r for r in levels if max(share(r, "before"), share(r, "after")) >= SMALL_GROUP]
            rest = [r for r in levels if r not in big]
            shown = [(str(r["level"]), r.get("before"), r.get("after")) for r in big]
            if rest:
                shown.append(
                    (
                        f"{len(rest)} other groups, each under {100 * SMALL_GROUP:g} %",
                        sum(share(r, "before") for r in rest),
                        sum(share(r, "after") for r in rest),
                    )
                )
        first = levels[0]
        head = (
            f'<td rowspan="{len(shown)}">{e(variable)}<br><span class="n">n = {first["n_before"]:,} before, '
            f"{first['n_after']:,} after</span></td>"
        )
        for i, (level, before, after) in enumerate(shown):
            body.append(
                f"<tr>{head if i == 0 else ''}<td>{e(level)}</td>"
                f'<td class="num">{pct(before)}</td><td class="num">{pct(after)}</td></tr>'
            )
    return (
        f'<table class="composition"><caption>What else changed between the two sides of <code>{e(test["id"])}'
        "</code>: the share of records in each group, before and after</caption><thead><tr><th>variable</th>"
        f"<th>group</th><th>before</th><th>after</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _records_line(results: Mapping[str, Any]) -> str:
    """One paragraph: how many records were inside the study's region and period, and why the
    others were left out (``results.json`` ``records``); "" when the run has none."""
    from borderscape.analyses.region import summary_line

    line = summary_line(results.get("records") or {})
    return f'<p class="records" id="records">Records: {html.escape(line)}.</p>' if line else ""


def _svg(path: Path) -> str:
    """An SVG file's root element, ready to inline (XML prolog and fixed size removed)."""
    text = path.read_text(encoding="utf-8")
    text = text[text.index("<svg") :]
    head, rest = text.split(">", 1)
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    return f'{head} class="chart" role="img">{rest}'


def _figures(folder: Path, run_link: str) -> str:
    parts = []
    for stem, caption in FIGURES:
        path = folder / f"{stem}.svg"
        if path.is_file():
            parts.append(
                f'<figure id="fig-{stem}">{_svg(path)}<figcaption>{html.escape(caption)} '
                f'<span class="no-print">(Also as <a href="{run_link}/figures/{stem}.png">PNG</a> and '
                f'<a href="{run_link}/figures/{stem}.svg">SVG</a>.)</span></figcaption></figure>'
            )
    return "\n".join(parts) or "<p>No figure could be drawn: the tables behind them are missing.</p>"


def brief_html(
    results: Mapping[str, Any],
    *,
    title: str,
    description: str,
    figures: Path,
    battery: str = "funnel",
    period: tuple[str, str] | None = None,
    interventions: Sequence[tuple[str, str]] = (),
    version: str | None = None,
    run_link: str = "run",
    notices: Sequence[Notice] = (),
) -> str:
    """The briefing page.

    Parameters
    ----------
    results
        The content of a run's ``results.json``.
    title, description
        The study's title and description (user text: escaped).
    figures
        The run's ``figures/`` folder; its SVG files are inlined.
    battery
        ``funnel`` or ``maritime`` (for the method paragraph).
    period
        First and last day of the study (ISO dates).
    interventions
        ``(date, name)`` of each intervention.
    version
        borderscape's version, printed in the header.
    run_link
        Relative URL of the run folder from the briefing's folder (links to the map, tables, figures).
    notices
        First-page lines (:func:`borderscape.analyses.needs.notices`): shown under the title, their
        remedies among the notes on the data.

    Returns
    -------
    str
        A complete HTML document with no script and no external reference.
    """
    e = html.escape
    simulated = bool(results.get("simulated"))
    tests = list(results["tests"])
    ran = [t for t in tests if t["status"] == "ran"]
    skipped = [t for t in tests if t["status"] != "ran"]
    families = tested(tests)
    methods: dict[str, int] = {}

    def note(t: Mapping[str, Any]) -> str:
        k = methods.setdefault(t["method"] or "not stated", len(methods) + 1)
        return f'<sup><a href="#m{k}">[{k}]</a></sup>'

    def family(t: Mapping[str, Any]) -> int | None:
        return families.get("primary" if t.get("role") == "primary" else str(t["id"]).split(".")[0])

    def item(t: Mapping[str, Any]) -> str:
        """A result as a list item: its sentence, then its caveats; a result other than a primary
        points to the CSV tables for its variants and composition (the briefing shows a primary's)."""
        extra = ""
        k, m = len(t.get("sensitivity") or ()), len(t.get("composition") or ())
        if t.get("role") != "primary" and (k or m):
            said = [
                f"{k} robustness variant{'s' if k > 1 else ''} in <code>tables/sensitivity.csv</code>" if k else "",
                "the composition of the two sides in <code>tables/composition.csv</code>" if m else "",
            ]
            text = "; ".join(w for w in said if w)
            extra = f'<br><span class="n">{text[:1].upper()}{text[1:]}.</span>'
        return (
            f'<li id="t-{e(t["id"])}"><code>{e(t["id"])}</code>{_role_tag(t)} {e(headline(t, family(t)))}{note(t)}'
            f"{extra}{_caveat_list(t)}</li>"
        )

    groups: dict[str, list[Mapping[str, Any]]] = {}
    for t in tests:
        groups.setdefault(t["id"].split(".")[0], []).append(t)
    questions = []
    for prefix, members in groups.items():
        primary = next((t for t in members if t.get("role") == "primary"), None)
        second = [t for t in members if t is not primary and t["status"] == "ran" and t.get("role") != "descriptive"]
        descr = [t for t in members if t["status"] == "ran" and t.get("role") == "descriptive"]
        questions.append((prefix, e(HYPOTHESES.get(prefix, prefix)), primary, second, descr))
    heads = []  # first, so that the methods are numbered in the order a reader meets them
    for prefix, label, primary, second, descr in questions:
        others = len(second) + len(descr)
        more = (
            f'<div class="more"><a href="#q-{e(prefix)}">{others} other result{"s" if others > 1 else ""} of '
            f"{e(prefix)}</a> below.</div>"
            if others
            else ""
        )
        if primary is None:
            top = (
                f"No primary result is declared for this question (<code>[endpoints.{e(prefix)}]</code> in the "
                "study file), so none is a headline."
            )
        elif primary["status"] == "ran":
            top = (
                f"<code>{e(primary['id'])}</code>{_role_tag(primary)} {e(headline(primary, family(primary)))}"
                f'{note(primary)}<br><span class="method">Method: {e(primary["method"] or "not stated")}</span>'
                f"{_caveat_list(primary)}"
            )
        else:
            first = re.split(r"(?<=\.)\s", primary["reason"], maxsplit=1)[0]
            top = (
                f"<code>{e(primary['id'])}</code>{_role_tag(primary)} The primary result could not be computed: "
                f'{e(first)} (<a href="#skipped">why, and what to do</a>)'
            )
        heads.append(f"<li><b>{e(prefix)} · {label}</b><br>{top}{more}</li>")
    detail = []
    for prefix, label, primary, second, descr in questions:
        if primary is None and not second and not descr:
            continue
        block = [f'<h3 id="q-{e(prefix)}">{e(prefix)} · {label}</h3>']
        if primary is not None and primary["status"] == "ran":
            block.append(f'<ul class="findings">{item(primary)}</ul>')
            block.append(robustness_table(primary) + composition_table(primary))
        elif primary is not None:
            block.append(
                f"<p>The primary result <code>{e(primary['id'])}</code> could not be computed "
                '(<a href="#skipped">why</a>).</p>'
            )
        if second:
            block.append(f'<h4>Secondary results</h4><ul class="findings">{"".join(item(t) for t in second)}</ul>')
        if descr:
            block.append(
                f'<p class="meta">{len(descr)} descriptive result{"s" if len(descr) > 1 else ""} of {e(prefix)}: '
                f'<a href="#d-{e(prefix)}">under Descriptive results</a>.</p>'
            )
        detail.append("".join(block))
    described = [
        f'<h3 id="d-{e(prefix)}">{e(prefix)} · {label}</h3><ul class="findings">{"".join(item(t) for t in descr)}</ul>'
        for prefix, label, _, _, descr in questions
        if descr
    ]
    skipped_rows = "".join(
        f"<tr><td><code>{e(t['id'])}</code></td><td>{e(t.get('role') or '')}</td><td>{e(t['name'])}</td>"
        f"<td>{e(t['reason'])}</td></tr>"
        for t in skipped
    )
    skipped_html = (
        "<table><thead><tr><th>result</th><th>role</th><th>what it would compare</th><th>why it did not run, and what "
        f"to do</th></tr></thead><tbody>{skipped_rows}</tbody></table>"
        if skipped
        else "<p>Every test ran.</p>"
    )
    data_notes = list(dict.fromkeys(t["reason"] for t in ran if t.get("reason")))
    data_notes += [f"{n.text} What to do: {n.remedy}" for n in notices if n.remedy]
    notice_html = "".join(f'<p class="notice" role="note"><b>{e(n.text)}</b></p>' for n in notices)
    caveats = [LIMITS, *results.get("caveats", [])]
    sources = "".join(
        f"<li><b>{e(s['publisher'])}</b> ({e(s['role'])}, <code>{e(s['id'])}</code>). Licence: {e(s['licence'])}. "
        f"Cite: {e(s['citation'])}."
        + (f" URL: {e(s['url'])}." if s.get("url") else "")
        + (f" Read with: {e(s['read_with'])}." if s.get("read_with") else "")
        + f" Caveat: {e(s['caveats'])}</li>"
        for s in results.get("sources", [])
    )
    footnotes = "".join(f'<li id="m{k}">{e(m)}</li>' for m, k in methods.items())
    when = f"{period[0]} to {period[1]}" if period else "the study period"
    ivs = "".join(f"<li>{e(d)}: {e(n)}</li>" for d, n in interventions)
    shown_title = f"{SIMULATED} — {title}" if simulated else title
    banner = (
        (
            f'<p class="sim">{SIMULATED}: this briefing was made from a generated world. Nothing in it is a real '
            "place, tower or person; its numbers only show what borderscape reports.</p>"
        )
        if simulated
        else ""
    )
    sim_page = (
        f'@page {{ @top-center {{ content: "{SIMULATED}"; color: #b00000; font-weight: bold; }} }}' if simulated else ""
    )
    descriptive = (
        '<h2 id="descriptive" class="cont">Descriptive results</h2><p>These describe the setting: each is an '
        f"estimate with its interval and n, not a test of the question.</p>{''.join(described)}"
        if described
        else ""
    )
    tested_primaries = [t for t in ran if t.get("role") == "primary" and t.get("p_adjusted") is not None]
    held = sum(1 for t in tested_primaries if t["p_adjusted"] < ALPHA)
    verdict = (
        f"Of the {len(tested_primaries)} question{'s' if len(tested_primaries) != 1 else ''} whose primary result "
        f"could be tested, {held} {'is' if held == 1 else 'are'} unlikely to be chance alone after adjusting for "
        "the number of questions."
        if tested_primaries
        else "No question's primary result could be tested."
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="borderscape {e(version or "")}">
<title>{e(shown_title)}</title>
<style>
{static_text("brief.css")}{sim_page}</style></head>
<body>
{banner}
<header><h1>{e(shown_title)}</h1>
<p class="meta">Briefing on study <code>{e(str(results["study"]))}</code>, {e(when)}; seed {e(str(results["seed"]))};
made with borderscape {e(version or "")}.</p></header>
{notice_html}
<p>{e(description)}</p>
<p class="limits"><b>Read with care.</b> {e(LIMITS)} These results describe past records: they show associations in
time and place, not proof of what caused them, and nothing here forecasts crossings or ranks places for
enforcement. {len(groups)} question{" was" if len(groups) == 1 else "s were"} asked; {len(ran)} results were computed and
{len(skipped)} could not be. {verdict}</p>
{_records_line(results)}

<h2 class="first" id="headlines">Headline numbers</h2>
<ul class="findings" id="headline-list">{"".join(heads)}</ul>
<p class="roles">{ROLES_NOTE}</p>

<h2 id="figures">Maps and charts</h2>
{_figures(figures, e(run_link, quote=True))}

<h2 id="results">Results by question</h2>
{"".join(detail) or "<p>No test ran.</p>"}
<h3 id="skipped">Results that could not be computed</h3>
{skipped_html}

{descriptive}

<h2 id="method">Method</h2>
<p>{e(METHOD.get(battery, ""))} Every estimate comes with its interval, the number of observations (n) and the
method, numbered below; a test also with its p-value, unadjusted and adjusted for the number of tests (see the
headline numbers). The same study file, data and seed give the same numbers (see
<code>run/provenance.json</code>).</p>
{f"<p>Interventions tested ({e(when)}):</p><ul>{ivs}</ul>" if ivs else ""}
<h3>Methods of the numbers</h3>
<ol class="footnotes">{footnotes}</ol>

<h2 id="caveats">Caveats</h2>
<ul>{"".join(f"<li>{e(c)}</li>" for c in caveats)}</ul>
{'<h3>Notes on the data behind the results</h3><ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in data_notes) + "</ul>" if data_notes else ""}

<h2 id="sources">Sources and licences</h2>
<ul class="sources">{sources}</ul>
<section class="no-print"><h3>Files of this briefing</h3><ul>
<li><a href="{e(run_link, quote=True)}/map.html">The map</a> of the run</li>
<li><a href="{e(run_link, quote=True)}/results.json">results.json</a>: every number of this briefing</li>
<li><a href="{e(run_link, quote=True)}/provenance.json">provenance.json</a>: input files with their sha256, parameters, seed, versions</li>
<li><a href="{e(run_link, quote=True)}/tables/">tables/</a> (with <code>sensitivity.csv</code> and <code>composition.csv</code>) and <a href="{e(run_link, quote=True)}/figures/">figures/</a> (PNG at 300 dpi and SVG)</li>
</ul></section>
<p class="meta">borderscape is for accountability about past surveillance: it forecasts no crossing, ranks no place
for enforcement and scores no person.</p>
</body></html>
"""


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


def brief_from(
    run_folder: str | os.PathLike, *, out: str | os.PathLike, title: str | None = None, description: str | None = None
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

    Raises
    ------
    InputError
        ``run_folder`` is not a complete run folder.
    PDFError
        The PDF could not be written (``brief.html`` is written first).
    """
    run = read_run(run_folder)
    out = Path(out)
    st, periods = run.study["study"], run.study["periods"]
    simulated = bool(run.results.get("simulated"))
    period = None if simulated else (periods["start"], periods["end"])
    ivs = () if simulated else tuple((i["date"], i["name"]) for i in periods["interventions"])
    link = Path(os.path.relpath(run.path.resolve(), out.resolve())).as_posix()
    page = brief_html(
        run.results,
        title=title or st["title"],
        description=st["description"] if description is None else description,
        figures=run.figures,
        battery=st["battery"],
        period=period,
        interventions=ivs,
        version=_version(),
        run_link=link,
        notices=run.notices(),
    )
    html_path = write_text_atomic(out / "brief.html", page)
    pdf_path = write_pdf(html_path, out / "brief.pdf")
    return BriefOutput(html_path, pdf_path, run)


def write_brief(
    study: str | os.PathLike | Study,
    *,
    out: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    towers: str | os.PathLike | None = None,
    dem: str | os.PathLike | None = None,
    seed: int | None = None,
    progress: bool | None = None,
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

    Returns
    -------
    BriefOutput

    Raises
    ------
    StudyError
        Unknown or malformed study.
    PDFError
        The PDF could not be written (``brief.html`` is written first).
    """
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
            title=f"A generated border world (borderscape demo, seed {run.results['seed']})",
            description=(
                "A simulated desert border with terrain, roads, towers deployed in stages, and "
                "remains whose locations were generated with a planted funnel effect. It shows "
                "what a briefing reports and checks that the tests find an effect that is known "
                "to be there."
            ),
        )
    run_study(study, data_dir=data_dir, towers=towers, dem=dem, out=folder, seed=seed, progress=progress)
    return brief_from(folder, out=out)
