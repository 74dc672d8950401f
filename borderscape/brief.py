"""A briefing of a study run: one self-contained HTML page (with print styles) and a PDF.

:func:`write_brief` (``borderscape brief``) runs the study with
:func:`borderscape.pipeline.run_study` into ``<out>/run/`` (so every number of the briefing is the
number of that run's ``results.json``, and the tables, figures, map and provenance lie
beside it), then writes

``brief.html``
    Headline numbers with their uncertainty in plain language, the study-area map and the
    charts (inline SVG), every test that ran, the tests that could not run with the reason and
    the remedy, a short method with the test of each number as a footnote, the caveats, and
    the sources with their licences.  No script, no external request, every text escaped
    with :func:`html.escape`; an ``@media print`` / ``@page`` section lays it out on A4.
``brief.pdf``
    ``brief.html`` rendered by WeasyPrint (the print styles).

Each number is written by :func:`number`: ``|x| ≥ 1000`` with thousands separators and no
decimals, ``0.001 ≤ |x| < 1000`` with three significant digits (``format(x, ".3g")``), smaller
numbers in scientific notation, ``0`` as ``0``.

The briefing states what was compared, the estimate with its unit, the interval, the p-value
in words and n; it does not claim causes beyond what a test supports, forecasts nothing and
ranks no place for enforcement.
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
    if not m or re.search(r"\d", m.group(2)) or (len(m.group(2).split()) > 4 and "ratio" not in m.group(2)):
        return name, ""
    return m.group(1), m.group(2)


def _permutations(test: Mapping[str, Any]) -> int | None:
    """The number of reshuffles behind a permutation-test p-value, when the p-value is one
    (p = (1 + k) / (N + 1) for an integer k)."""
    n = (test.get("parameters") or {}).get("permutations")
    p = test.get("p_value")
    if not isinstance(n, int) or n <= 0 or p is None or "permutation" not in test.get("method", "").lower():
        return None
    hits = p * (n + 1)
    return n if abs(hits - round(hits)) < 1e-6 else None


def p_value_words(test: Mapping[str, Any]) -> str:
    """The p-value of a test as a plain sentence.

    A permutation test: "None of 999 random reshuffles of the data gave a result this
    extreme (fewer than 1 in 1,000; p = 0.001)" or "A result at least this extreme arose in 21
    of 999 random reshuffles (p = 0.022)"; any other test: "p = 0.03" or "p < 0.001" (a
    lower-case p, also at the start of a sentence).  Then
    whether the result is unlikely under chance alone at the 5 % level.
    """
    p = test["p_value"]
    if p is None:
        return "No p-value."
    stated = "p < 0.001" if p < 0.001 else f"p = {p:.2g}"
    n = _permutations(test)
    if n is not None:
        k = int(round(p * (n + 1))) - 1
        text = (
            f"None of {n:,} random reshuffles of the data gave a result this extreme (fewer than 1 in "
            f"{n + 1:,}; {stated})"
            if k <= 0
            else f"A result at least this extreme arose in {k:,} of {n:,} random reshuffles of the data ({stated})"
        )
    else:
        text = stated
    verdict = "unlikely to be chance alone" if p < 0.05 else "consistent with chance"
    return f"{text}: {verdict}."


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


#: How the briefing explains the ``tier`` of the funnel battery's results.
TIERS_NOTE = (
    "<p>Each result is marked <i>primary</i>, <i>secondary</i> or <i>context</i>. A primary result tests the "
    "funnel effect and was checked on simulated worlds: it found a planted effect in at least 80&nbsp;% of "
    "them and a false one in about 5&nbsp;%. A secondary result also tests the funnel effect and is as "
    "reliable when there is no effect, but looks for another shape of change (a steady trend, a jump in one "
    "month) and finds the planted effect less often. A context result describes the setting (how remains "
    "cluster, the modelled cost of avoiding coverage); its p-value does not test the funnel effect.</p>"
)


def _tier_tag(test: Mapping[str, Any]) -> str:
    """`` (primary)`` … after a result's id, when it has a tier."""
    return f' <span class="tier">({html.escape(test["tier"])})</span>' if test.get("tier") else ""


def headline(test: Mapping[str, Any]) -> str:
    """One plain sentence for a test that ran: what was compared, the estimate with its unit,
    the interval, n and the p-value in words (plain text; escape it for HTML)."""
    what, unit = split_unit(test["name"])
    est = test["estimate"]
    value = "not defined" if est is None else number(est)
    if unit:
        value += f" {unit}" if len(unit.split()) <= 3 else f" ({unit})"
    lowered = (test["name"]).lower()
    if est is not None and "ratio" in lowered:
        value += "; a ratio of 1 means no difference"
    elif est is not None and "share" in lowered:
        change = any(w in lowered for w in ("−", " minus ", "after - before"))
        value += f" (that is {100 * est:.3g} {'percentage points' if change else '%'})"
    n = test.get("n")
    count = "" if n is None else f"; n = {n:,}"
    return f"{what[:1].upper()}{what[1:]}: {value} ({interval_words(test)}{count}). {p_value_words(test)}"


# -- the page ----------------------------------------------------------------------------------


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
    methods: dict[str, int] = {}

    def note(t: Mapping[str, Any]) -> str:
        k = methods.setdefault(t["method"] or "not stated", len(methods) + 1)
        return f'<sup><a href="#m{k}">[{k}]</a></sup>'

    groups: dict[str, list[Mapping[str, Any]]] = {}
    for t in tests:
        groups.setdefault(t["id"].split(".")[0], []).append(t)
    heads = []
    for prefix, members in groups.items():
        done = [t for t in members if t["status"] == "ran"]
        label = e(HYPOTHESES.get(prefix, prefix))
        if done:
            top = next((t for t in done if t["id"] == prefix), done[0])
            more = f" ({len(done) - 1} more result{'s' if len(done) > 2 else ''} below.)" if len(done) > 1 else ""
            heads.append(f"<li><b>{e(prefix)} · {label}</b><br>{e(headline(top))}{note(top)}{e(more)}</li>")
        else:
            first = re.split(r"(?<=\.)\s", members[0]["reason"], maxsplit=1)[0]
            heads.append(
                f"<li><b>{e(prefix)} · {label}</b><br>Could not run: {e(first)} "
                f'(<a href="#skipped">what to do</a>)</li>'
            )
    detail = []
    for prefix, members in groups.items():
        done = [t for t in members if t["status"] == "ran"]
        if not done:
            continue
        items = "".join(
            f'<li id="t-{e(t["id"])}"><code>{e(t["id"])}</code>{_tier_tag(t)} {e(headline(t))}{note(t)}</li>'
            for t in done
        )
        detail.append(f'<h3>{e(prefix)} · {e(HYPOTHESES.get(prefix, prefix))}</h3><ul class="findings">{items}</ul>')
    skipped_rows = "".join(
        f"<tr><td><code>{e(t['id'])}</code></td><td>{e(t['name'])}</td><td>{e(t['reason'])}</td></tr>" for t in skipped
    )
    skipped_html = (
        f"<table><tr><th>test</th><th>what it would compare</th><th>why it did not run, and what to do"
        f"</th></tr>{skipped_rows}</table>"
        if skipped
        else "<p>Every test ran.</p>"
    )
    data_notes = list(dict.fromkeys(t["reason"] for t in ran if t.get("reason")))
    caveats = [LIMITS, *results.get("caveats", [])]
    sources = "".join(
        f"<li><b>{e(s['publisher'])}</b> ({e(s['role'])}, <code>{e(s['id'])}</code>). Licence: {e(s['licence'])}. "
        f"Cite: {e(s['citation'])}. Caveat: {e(s['caveats'])}</li>"
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
    n_small = sum(1 for t in ran if t["p_value"] is not None and t["p_value"] < 0.05)
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
<p>{e(description)}</p>
<p class="limits"><b>Read with care.</b> {e(LIMITS)} These tests describe past records: they show associations in
time and place, not proof of what caused them, and nothing here forecasts crossings or ranks places for
enforcement. {len(ran)} tests ran and {len(skipped)} could not; {n_small} of the {len(ran)} have p &lt; 0.05, and
with many tests about 1 in 20 would reach that by chance alone.</p>

<h2 class="first" id="headlines">Headline numbers</h2>
<ul class="findings">{"".join(heads)}</ul>

<h2 id="figures">Maps and charts</h2>
{_figures(figures, e(run_link, quote=True))}

<h2 id="results">Every result</h2>
{TIERS_NOTE if any(t.get("tier") for t in tests) else ""}
{"".join(detail) or "<p>No test ran.</p>"}
<h3 id="skipped">Tests that could not run</h3>
{skipped_html}

<h2 id="method">Method</h2>
<p>{e(METHOD.get(battery, ""))} Every estimate comes with its interval, its p-value, the number of observations
(n) and the method, numbered below; the same study file, data and seed give the same numbers (see
<code>run/provenance.json</code>). The p-values are not corrected for the number of tests unless the method says so.</p>
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
<li><a href="{e(run_link, quote=True)}/tables/">tables/</a> and <a href="{e(run_link, quote=True)}/figures/">figures/</a> (PNG at 300 dpi and SVG)</li>
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
