"""What the primary result of each question needs, and what a run that lacks it must say.

The one rule behind "fail loudly" (issue 18), used by ``borderscape run``, ``map`` and ``brief``
(:mod:`borderscape.pipeline`, the command line, the briefing and the map):

* :data:`NEEDS` — result id (or the prefix of ids) → the layer roles its computation reads, read
  from the battery modules (``missing(study, inputs, …)`` in :mod:`borderscape.analyses.battery`).
  A member that is a tuple means "any one of these" (H5's slope comes from the DEM, else the
  environment grid).
* :data:`RECORDS` — the roles that hold the records a question counts (deaths, incidents,
  crossings, encounters); the others are context (towers, DEM, roads, coastlines …).
* **No primary layer** (:func:`no_primary_layer`): no question of the battery could read the
  records its primary result counts.  Funnel: ``deaths`` (every H1 … H5 primary counts remains);
  maritime: none of ``crossings`` (M1), ``deaths`` (M2, M3, M5) and ``incidents`` (M4).  Such a run
  would report nothing but skips: :func:`check_primary_layers` raises :class:`NoDataError`
  (exit code 2), before the battery runs and before anything is written.
* **First-screen notices** (:func:`notices`): a run that went ahead but lacks a layer a primary
  result needs says so on the first screen of the briefing, the map and the terminal, one sentence
  per role — for every role named under ``[layers]`` (or given as ``--towers``/``--dem``) that
  could not be read, and for a sensor layer the study's title promises ("towers", "surveillance",
  "radar" …) but that was not named at all.  A run in which every primary result was skipped
  (all layers read, too few records …) is not an error: its first line says "No primary finding
  could be computed: …".  The notice text has no command-line remedy (journalists read the map);
  :attr:`Notice.remedy` carries it to the terminal and the briefing's notes.

This module imports nothing heavy: run folders are checked and rendered without the analysis stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from borderscape.geo.errors import NoDataError

__all__ = [
    "NEEDS",
    "RECORDS",
    "Notice",
    "check_primary_layers",
    "check_run_folder",
    "needs",
    "no_primary_layer",
    "notices",
]

Requirement = str | tuple[str, ...]

#: Result id (or prefix of ids) → the roles it reads; a tuple member: any one of them.  The
#: longest key that is the id or a prefix of it (``M2.deaths`` for ``M2.deaths.trend``) applies.
NEEDS: dict[str, tuple[Requirement, ...]] = {
    "H1": ("deaths", "towers", "dem"),
    "H2": ("deaths",),
    "H2.road_distance": ("deaths", "roads"),
    "H2.water_distance": ("deaths", "water_stations"),
    "H3": ("dem", "towers", "border"),
    "H3.fit": ("deaths", "dem", "towers", "border"),
    "H4": ("deaths", "encounters"),
    "H5": ("deaths", ("dem", "environment")),
    "M1": ("crossings",),
    "M2.deaths": ("deaths",),
    "M2.deaths.coast": ("deaths", "coastline"),
    "M2.deaths.coverage": ("deaths", "operational_areas"),
    "M2.detections": ("incidents",),
    "M2.detections.coast": ("incidents", "coastline"),
    "M2.detections.coverage": ("incidents", "operational_areas"),
    "M3": ("deaths", "sar_regions"),
    "M4": ("incidents",),
    "M5": ("deaths", "coastline"),
    "M6": ("crossings", "incidents"),
}

#: The roles that hold the records a question counts; the other roles are context.
RECORDS = ("deaths", "incidents", "crossings", "encounters")

#: Sensor roles by battery: what a title about surveillance promises.
SENSORS = {"funnel": ("towers",), "maritime": ("operational_areas", "coastal_stations", "aerial_tracks")}

#: Words of a title or description that promise a sensor layer.
SENSOR_WORDS = re.compile(r"\b(towers?|surveillance|radars?|aerial|drones?|aerostats?|sensors?|cameras?)\b", re.I)

#: A role in words, for a reader who does not know the role names.
WORDS = {
    "deaths": "the deaths (recovered remains, dead and missing)",
    "incidents": "boat incidents",
    "crossings": "crossings by route and month",
    "encounters": "Border Patrol encounters",
    "towers": "surveillance towers",
    "dem": "terrain (an elevation model)",
    "environment": "the environment grid (slope, heat)",
    "border": "the border line",
    "roads": "roads",
    "water_stations": "water stations",
    "coastline": "coastlines",
    "sar_regions": "search-and-rescue regions",
    "operational_areas": "patrol operational areas",
    "coastal_stations": "coastal radars",
    "aerial_tracks": "aerial patrol tracks",
}

#: Words of a title that make a role what the study "is about" (else it "needs" the role).
ABOUT = {
    "deaths": r"death|remains|mortality|dead",
    "towers": r"tower|surveillance|sensor|camera|radar",
    "operational_areas": r"surveillance|patrol|operation",
    "coastal_stations": r"radar|surveillance",
    "aerial_tracks": r"aerial|drone|aircraft|surveillance",
    "encounters": r"encounter|apprehension",
    "crossings": r"crossing|arrival",
}

_TODO = re.compile(r"\s*What to do:\s*")
#: The data-folder remedy every missing source repeats (said once, first, in a :class:`NoDataError`).
_FOLDER = re.compile(
    r";?\s*or if you have a folder holding the files, pass --data-dir DIR or set BORDERSCAPE_DATA=DIR\.?$"
)


@dataclass(frozen=True)
class Notice:
    """One first-screen line of a run's outputs.

    Attributes
    ----------
    text
        The sentence, for every reader (no command-line remedy).
    remedy
        What to do, for the terminal and the briefing's notes ("" when there is nothing to do).
    role
        The layer role it is about ("" for the "no primary finding" line).
    """

    text: str
    remedy: str = ""
    role: str = ""


def needs(result_id: str) -> tuple[Requirement, ...]:
    """The roles result ``result_id`` reads (:data:`NEEDS`); () for an id it does not know."""
    keys = [k for k in NEEDS if result_id == k or result_id.startswith(k + ".")]
    return NEEDS[max(keys, key=len)] if keys else ()


def _lacking(requirement: Requirement, present: Iterable[str]) -> tuple[str, ...]:
    """The roles of one requirement that are missing (all alternatives when none is present)."""
    have = set(present)
    options = (requirement,) if isinstance(requirement, str) else requirement
    return () if any(r in have for r in options) else tuple(options)


def _split(reason: str) -> tuple[str, str]:
    """A missing-layer reason as (why, what to do)."""
    parts = _TODO.split(reason.strip(), maxsplit=1)
    why = parts[0].strip()
    return (why if why.endswith(".") else why + "."), (parts[1].strip() if len(parts) > 1 else "")


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def no_primary_layer(primaries: Mapping[str, str], present: Iterable[str]) -> dict[str, tuple[str, ...]] | None:
    """The record roles each question's primary result lacks, when no question has its records.

    Parameters
    ----------
    primaries
        Question (``H1``) → the id of its primary result (``H1``, ``H2.road_distance`` …).
    present
        The roles that could be read.

    Returns
    -------
    dict or None
        None when at least one question's primary result has every record layer it counts
        (or counts none); else question → the record roles it lacks.
    """
    have = set(present)
    out: dict[str, tuple[str, ...]] = {}
    for question, result in primaries.items():
        lacking = tuple(r for req in needs(result) for r in _lacking(req, have) if r in RECORDS)
        if not lacking:
            return None
        out[question] = lacking
    return out or None


def _no_data(lacking: Mapping[str, tuple[str, ...]], missing: Mapping[str, str], head: str, remedy: str) -> NoDataError:
    """The error of a run with no primary layer: ``head``, which questions count which missing
    records, each one's reason; the remedy, then each layer's own (its data-folder line said once)."""
    roles = list(dict.fromkeys(r for rs in lacking.values() for r in rs))
    whys, todos = [], []
    for role in roles:
        default = f"none is named under [layers] in the study file. What to do: name one under [layers] {role}"
        why, todo = _split(missing.get(role, default))
        whys.append(f"No {role} layer: {why}")
        todo = _FOLDER.sub("", todo).strip()
        if todo:
            todos.append(f"For {role}: {todo}")
    by_role: dict[str, list[str]] = {}
    for question, rs in lacking.items():
        for r in rs:
            by_role.setdefault(r, []).append(question)
    counts = "; ".join(f"{_and(qs)} {'count' if len(qs) > 1 else 'counts'} {r}" for r, qs in by_role.items())
    message = f"{head}: every question's primary result needs records that could not be read ({counts}). " + " ".join(
        whys
    )
    return NoDataError(message, remedy=" ".join([remedy, *(t.rstrip(".") + "." for t in todos)]))


def check_primary_layers(
    name: str, primaries: Mapping[str, str], present: Iterable[str], missing: Mapping[str, str]
) -> None:
    """Refuse a run in which no primary layer could be read (:func:`no_primary_layer`).

    Parameters
    ----------
    name
        The study's name (for the message).
    primaries
        Question → primary result id (``{q: e.result for q, e in study.endpoints.items()}``).
    present
        The roles that were read.
    missing
        Role → why it is missing and what to do (:attr:`StudyInputs.missing`).

    Raises
    ------
    NoDataError
        With each missing record layer's reason and the remedy (``--data-dir DIR``,
        ``BORDERSCAPE_DATA``); nothing has been computed or written.
    """
    lacking = no_primary_layer(primaries, present)
    if lacking is None:
        return
    raise _no_data(
        lacking,
        missing,
        f"no primary layer could be read for study {name!r}, so nothing was computed or written",
        "Pass --data-dir DIR or set BORDERSCAPE_DATA=DIR to the folder that holds the data "
        "(`borderscape sources --data-dir DIR` lists what it finds), or name the files under [layers] in the "
        "study file; `borderscape demo` runs on simulated data.",
    )


def _run_primaries(results: Mapping[str, Any], study: Mapping[str, Any]) -> dict[str, str]:
    """Question → primary result id of a run (from its results, else its study's endpoints)."""
    out = {str(t["id"]).split(".")[0]: str(t["id"]) for t in results.get("tests", ()) if t.get("role") == "primary"}
    if not out:
        out = {q: str(e["result"]) for q, e in (study.get("endpoints") or {}).items() if isinstance(e, Mapping)}
    return out


def check_run_folder(
    folder: Any, results: Mapping[str, Any], study: Mapping[str, Any], missing: Mapping[str, str]
) -> None:
    """Refuse to render a run folder whose run had no primary layer (written before ``run`` refused
    such runs): the same rule as :func:`check_primary_layers`, on ``results.json``'s sources.

    Raises
    ------
    NoDataError
        The run read none of the records its questions count.
    """
    if results.get("simulated"):
        return
    present = {str(s.get("role")) for s in results.get("sources", ())}
    lacking = no_primary_layer(_run_primaries(results, study), present)
    if lacking is None:
        return
    name = (study.get("study") or {}).get("name", results.get("study", ""))
    raise _no_data(
        lacking,
        missing,
        f"the run in {folder} had no primary layer (it was written by a version of borderscape that did not "
        "refuse such a run), so there is nothing to draw or brief",
        f"Run the study again with its data: `borderscape run {name} --data-dir DIR --out {folder}` "
        "(or set BORDERSCAPE_DATA=DIR), then render from that folder.",
    )


def notices(
    results: Mapping[str, Any], study: Mapping[str, Any], missing: Mapping[str, str], *, given: Iterable[str] = ()
) -> list[Notice]:
    """The first-screen lines of a run: what its title or layers promise that it did not have.

    Parameters
    ----------
    results
        The run's ``results.json`` content (``tests``, ``sources``, ``simulated``).
    study
        The study as :meth:`~borderscape.analyses.study.Study.to_dict` gives it (``study.json``).
    missing
        Role → why the layer is missing and what to do (``provenance.json`` ``missing``).
    given
        Roles given on the command line (``--towers``, ``--dem``): declared like ``[layers]``.

    Returns
    -------
    list of Notice
        First, when no primary result could be computed, "No primary finding could be computed: …";
        then one line per layer role that a primary result needs, that the study names (under
        ``[layers]``, an option, or — for a sensor layer — its title) and that the run did not have.
    """
    tests = list(results.get("tests", ()))
    primaries = [t for t in tests if t.get("role") == "primary"]
    out: list[Notice] = []
    if primaries and not any(t["status"] == "ran" for t in primaries):
        by_reason: dict[str, list[str]] = {}
        for t in primaries:
            first = re.split(r"(?<=\.)\s", _split(str(t.get("reason") or "no reason given"))[0], maxsplit=1)[0]
            by_reason.setdefault(first, []).append(str(t["id"]).split(".")[0])
        said = "; ".join(f"{_and(qs)}: {why.rstrip('.')}" for why, qs in by_reason.items())
        out.append(Notice(f"No primary finding could be computed: {said}.", "", ""))
    if results.get("simulated"):
        return out
    head = study.get("study") or {}
    title = f"{head.get('title', '')} {head.get('description', '')}"
    battery = str(head.get("battery", "funnel"))
    present = {str(s.get("role")) for s in results.get("sources", ())}
    declared = set((study.get("layers") or {}).keys()) | set(given)
    sensors = SENSORS.get(battery, ())
    promised = bool(SENSOR_WORDS.search(title)) and not any(r in present for r in sensors)
    skipped = [t for t in primaries if t["status"] != "ran"]
    questions: dict[str, list[str]] = {}
    for t in skipped:
        for req in needs(str(t["id"])):
            for role in _lacking(req, present):
                if role in declared or (promised and role in sensors):
                    questions.setdefault(role, []).append(str(t["id"]).split(".")[0])
    for role, qs in questions.items():
        qs = list(dict.fromkeys(qs))
        words = WORDS.get(role, f"a {role} layer")
        about = "is about" if re.search(ABOUT.get(role, r"(?!x)x"), title, re.I) else "needs"
        if role in declared:
            why, todo = _split(missing.get(role, "it could not be read"))
        else:
            why, todo = (
                f"the title promises {words} but no {role} layer is named under [layers].",
                f"name one under [layers] {role} in the study file (see `borderscape sources`).",
            )
        which = f"the question{'s' if len(qs) > 1 else ''} that need{'' if len(qs) > 1 else 's'} it ({', '.join(qs)})"
        text = (
            f"This study {about} {words}, but the run had no {role} layer: {why.rstrip('.')} — {which} "
            "could not be answered."
        )
        out.append(Notice(text, todo, role))
    return out
