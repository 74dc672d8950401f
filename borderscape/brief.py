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
    once); the **checks against the published record** (:func:`published_checks`:
    borderscape's numbers from the run's catalog sources beside published ones, with the
    tolerance, agree or differ and, for a difference, by how much and the likely reason); the
    method (roles, adjustment, methods and references), the study's caveats and assumptions,
    and the sources and licences.  Last, **How to reproduce**: the commands, what to supply for
    each missing layer, and how to run the checks when they could not be (the only command-line
    text of the briefing).
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
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from borderscape import settings
from borderscape.analyses.study import Study
from borderscape.basemap import GEONAMES
from borderscape.errors import BorderscapeError, InputError
from borderscape.geo.files import atomic_path, write_text_atomic
from borderscape.i18n import LANGUAGES, N_, Translator, check_language
from borderscape.readings import (
    _REFERENCE,
    ALPHA,
    CARE,
    EXCLUDED,
    LIMITS,
    METHOD,
    METHODS,
    QUESTIONS,
    ROLE_WORDS,
    Context,
    _cap,
    _fmt,
    _signed,
    _skipped_reason,
    chance_note,
    composition_table,
    finding,
    headline,
    not_assessed,
    robustness_table,
    tested,
)
from borderscape.runfolder import RunFolder, read_run

if TYPE_CHECKING:
    from borderscape.analyses.replication import Comparison

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
        "pullback_share",
        N_(
            "Share of attempted crossings ended by the Libyan coast guard, by month, with 95% intervals (grey: months "
            "the analysis leaves out), above the boats Frontex recorded as first seen from the air; numbered dashed "
            "lines mark the interventions."
        ),
        ("crossings", "incidents"),
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


class PDFError(BorderscapeError):
    """The PDF could not be written (WeasyPrint or its system libraries are missing or failed)."""


@dataclass(frozen=True, eq=False)
class BriefOutput:
    """What :func:`write_brief` wrote: the page, the PDF and the run behind them."""

    html: Path
    pdf: Path
    run: RunFolder


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
    names = set()
    for g in root.iter(f"{{{_SVG}}}g"):
        if (g.get("id") or "").startswith("place-"):
            g.set("translate", "no")  # a town's name (GeoNames), as written there
            names.update(id(inner) for inner in g.iter(f"{{{_SVG}}}g"))
    for g in root.iter(f"{{{_SVG}}}g"):
        if id(g) in names:
            continue
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


# -- checks against the published record ----------------------------------------------------------

#: What the checks section says first.
CHECKS_LEAD = N_(
    "borderscape's numbers, computed from the data sources this briefing uses, beside the same numbers as others "
    "published them: each with where it was published, the tolerance within which the two are taken to agree, and "
    "whether they do. Where they differ, the table says by how much and the likely reason: differences are "
    "reported, not hidden."
)
#: Said under "How to reproduce" when the checks could not be run.
CHECKS_NOT_RUN = N_(
    "The checks against the published record could not be run: no data folder holding their files was available "
    "when this briefing was written. To run them: `borderscape replicate --data-dir DIR`; to add them to this "
    "briefing: `borderscape brief --from OUT --out BRIEF --data-dir DIR`."
)
#: The reason of a check whose value could not be computed.
CHECK_NOT_COMPUTED = N_("borderscape could not compute its value from the files of the data folder.")
#: The verdicts of a check (:attr:`borderscape.analyses.replication.Comparison.verdict`), in words.
CHECK_VERDICTS = {"agree": N_("agrees"), "differ": N_("differs"), "not computed": N_("not computed")}


def published_checks(results: Mapping[str, Any], data_dir: str | os.PathLike[str] | None) -> list[Comparison] | None:
    """The checks against the published record about the catalog sources of a run
    (:func:`borderscape.analyses.replication.about`), computed from ``data_dir``.

    ``[]`` when there is nothing to check: a simulated run, or one whose catalog sources no check
    compares (a user's own file has the id ``file``).  None when the checks could not be run: no
    data folder, or none of them could be computed from it.
    """
    if results.get("simulated"):
        return []
    from borderscape.analyses.replication import has_checks, replicate

    ids = {str(s.get("id")) for s in results.get("sources", ()) if s.get("id") not in (None, "", "file")}
    if not has_checks(ids):
        return []
    if data_dir is None or not Path(data_dir).is_dir():
        return None
    try:
        found = list(replicate(data_dir, sources=ids).comparisons)
    except (BorderscapeError, OSError):
        return None
    return found if any(c.ours is not None for c in found) else None


def check_rows(checks: Sequence[Comparison], ctx: Context) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of the checks table and the citations they refer to (numbered from 1 in order).

    Each row: what is compared, the published value and its citation's number, borderscape's value,
    the tolerance, the verdict (a difference says by how much) and, for a check that differs or was
    not computed, the reason.  Every text is translated; numbers are written by the translator.
    """
    tr, _ = ctx.tr, ctx._
    citations: list[str] = []
    rows = []
    for c in checks:
        if c.citation not in citations:
            citations.append(c.citation)
        published = tr.text(c.published_text) if c.published_text else tr.number(c.published)
        difference = c.difference
        if c.verdict == "differ" and difference is not None and c.kind in ("value", "rank"):
            verdict = _fmt(_("differs by {difference}"), difference=_signed(tr.number(difference), difference))
        else:
            verdict = _(CHECK_VERDICTS[c.verdict])
        reason = ""
        if c.verdict == "not computed":
            reason = _(CHECK_NOT_COMPUTED)
        elif c.verdict == "differ" and c.reason:
            reason = tr.text(c.reason)
        rows.append(
            {
                "what": _cap(tr.text(c.what)),
                "published": published,
                "numeric": not c.published_text,
                "ref": citations.index(c.citation) + 1,
                "ours": "—" if c.ours is None else tr.number(c.ours),
                "tolerance": tr.text(c.tolerance_text()),
                "verdict": verdict,
                "class": c.verdict.replace(" ", "-"),
                "reason": reason,
            }
        )
    return rows, citations


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
    checks: Sequence[Comparison] | None = (),
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
    checks
        The checks against the published record (:func:`published_checks`): a section after the
        results when there are any; None when they could not be run (a sentence in "How to
        reproduce" says how to run them).

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
        svg = figure_svg(path, tr)
        if 'id="place-' in svg:
            publishers.append(f"{GEONAMES['publisher']} ({GEONAMES['licence']})")
        entry: dict[str, Any] = {
            "stem": stem,
            "svg": svg,
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
    check_table, check_citations = check_rows(checks or (), ctx)
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
            checks=check_table,
            check_citations=check_citations,
            checks_lead=_(CHECKS_LEAD),
            checks_not_run=_code(_(CHECKS_NOT_RUN)) if checks is None else "",
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
    data_dir: str | os.PathLike[str] | None = None,
) -> str:
    """The briefing page of a run folder (:func:`brief_html` with the run's results, study and
    figures), in ``lang``; ``out`` is the folder the page will be written to (for its links to the
    run), ``title`` and ``description`` override the study's, ``translator`` as for
    :func:`brief_html`; ``data_dir`` is the data folder the checks against the published record
    read (:func:`published_checks`; default :data:`borderscape.settings.data_dir`, from
    ``BORDERSCAPE_DATA``)."""
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
        checks=published_checks(run.results, data_dir if data_dir is not None else settings.data_dir),
    )


def brief_from(
    run_folder: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    title: str | None = None,
    description: str | None = None,
    lang: str = "en",
    data_dir: str | os.PathLike[str] | None = None,
) -> BriefOutput:
    """Write ``<out>/brief.html`` and ``<out>/brief.pdf`` from a run folder, recomputing nothing
    but the checks against the published record (read from ``data_dir``).

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
    data_dir
        The data folder of the checks against the published record (:func:`published_checks`;
        default ``BORDERSCAPE_DATA``).

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
    page = run_page(run, out=out, title=title, description=description, lang=lang, data_dir=data_dir)
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
    return brief_from(folder, out=out, lang=lang, data_dir=data_dir)


#: The demo's title and description (English; translated in the briefing through the ``texts`` catalogue).
DEMO_TITLE = "A generated border world (borderscape demo, seed {seed})"
DEMO_DESCRIPTION = (
    "A simulated desert border with terrain, roads, towers deployed in stages, and remains whose locations were "
    "generated with a planted funnel effect. It shows what a briefing reports and checks that the tests find an "
    "effect that is known to be there."
)
