"""Studies: a region, periods and intervention dates, layers, sensor defaults, parameters and a seed.

A study is a TOML file.  Four ship with the package (``borderscape.analyses/studies``); users
copy one and edit it for their own region or period, or edit a study from Python::

    study = load_study("arizona-sonora")
    finer = study.with_(resolution_m=30, seed=1)
    quick = study.with_(parameters={"statistics": {"permutations": 99}})
    finer.params.statistics.permutations        # 999: typed, frozen, with its default

Everything is checked before any work: an unknown key anywhere (with the known keys nearby),
a value of the wrong kind, NaN or infinity, a value out of range, a bad date, name or CRS, and
a layer role or parameter section the study's battery does not read raise
:class:`~borderscape.geo.errors.StudyError` naming the key as a dotted path
(``parameters.statistics.permutations``), what was given and what is expected.  The
parameters and their defaults are declared once, in :mod:`borderscape.analyses.params`.

A ``[layers]`` entry is a catalog id, a path to a layer file written by ``borderscape ingest``, or an
inline table for a raw file (``deaths = { path = "sector.csv", columns = { lat = "Latitude", lon =
"Longitude", date = "Date" }, date_format = "%m/%d/%Y", source = "my-sector" }``), checked here
(unknown keys, column roles, a ``source`` the study does not define); ``[sources.<id>]`` tables
(publisher, licence, citation, url, caveats) say whom to credit for the layers that name them
(see :mod:`borderscape.analyses.inputs`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

import pyproj.exceptions
from pyproj import CRS

from borderscape.analyses.params import (
    ROLES,
    SECTIONS,
    FrozenMap,
    Parameters,
    Section,
    check_bbox,
    check_date,
    check_keys,
    check_value,
    plain,
    record,
    role_kind,
    unknown_key,
)
from borderscape.geo.errors import StudyError

__all__ = [
    "BATTERIES",
    "ENDPOINTS",
    "Endpoint",
    "Intervention",
    "SensorDefaults",
    "Shock",
    "SourceCredit",
    "Study",
    "load_study",
    "shipped_studies",
    "working_crs",
]

#: The batteries of tests a study can run (funnel: desert crossings, H1 … H5; maritime: sea crossings, M1 … M6).
BATTERIES = ("funnel", "maritime")
#: The keys of each table of a study file ("" is the top level).
TABLES: dict[str, tuple[str, ...]] = {
    "": ("study", "region", "periods", "endpoints", "layers", "sources", "sensors", "parameters"),
    "study": ("name", "title", "description", "seed", "battery", "caveats"),
    "region": ("bbox", "crs", "resolution_m"),
    "periods": ("start", "end", "interventions", "shocks"),
}
#: The questions of each battery: the hypotheses, each with one primary endpoint.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "funnel": ("H1", "H2", "H3", "H4", "H5"),
    "maritime": ("M1", "M2", "M3", "M4", "M5", "M6"),
}
SENSOR_KEYS = ("height_m", "range_m", "active_from", "basis")
#: Keys of an inline ``[layers]`` table of this module's own; the others are the keyword arguments of
#: :func:`borderscape.layers.ingest.ingest_file` (read from its signature when a study uses one).
LAYER_TABLE_KEYS = ("path", "source")
#: Keyword arguments of ``ingest_file`` a study cannot set (the role decides them, or they would put
#: names of people into a run).
LAYER_TABLE_REFUSED = ("kind", "path", "keep_personal", "sensor_role")
#: Types of the ``ingest_file`` arguments a study may set (others are passed as given).
LAYER_TABLE_TYPES: dict[str, Any] = {
    "columns": Mapping[str, str],
    "keep": tuple[str, ...],
    "crs": str,
    "date_format": str,
    "region": tuple[float, ...],
}
_NAME = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SourceCredit:
    """Whom to credit for a researcher's own layer (``[sources.<id>]``), named by a layer entry's
    ``source = "<id>"``; shown in every output's sources instead of "user-supplied file"."""

    LABEL: ClassVar[str] = "[sources.<id>]"
    publisher: str
    licence: str = "as stated by its publisher"
    citation: str = ""
    url: str = ""
    caveats: str = ""


@dataclass(frozen=True)
class Intervention:
    """A dated change in surveillance or policy (e.g. the first SBInet towers)."""

    LABEL: ClassVar[str] = "[[periods.interventions]]"
    name: str
    date: dt.date
    note: str = ""


@dataclass(frozen=True)
class Shock:
    """A known event that is not the surveillance being studied but changes the data at about the same
    time (COVID-19 beside Title 42; the start of Triton the day after the end of Mare Nostrum), or a
    break in a denominator (``denominator = true``: a source enters or leaves it, e.g. Libyan
    interceptions in the IOM compilation from 2016).  A comparison whose split lies within
    ``[parameters.statistics] shock_window_months`` of a shock names it in its caveats; time windows
    are cut at a denominator break."""

    LABEL: ClassVar[str] = "[[periods.shocks]]"
    name: str
    date: dt.date
    note: str = ""
    denominator: bool = False


@dataclass(frozen=True)
class Endpoint:
    """The pre-specified primary endpoint of one question (``[endpoints.H2]``), declared before the data
    are read: the id of the result (``H2.road_distance``) and the direction of the effect the
    hypothesis predicts (``increase``: the estimate above its null value; ``decrease``; ``either``).
    The declared direction is reported beside the result; p-values stay two-sided."""

    LABEL: ClassVar[str] = "[endpoints.<question>]"
    result: str
    direction: Literal["increase", "decrease", "either"] = "either"
    why: str = ""
    #: How and when the endpoint was chosen, when a reader should know it (e.g. after earlier results
    #: were seen): carried into the primary result's caveats.
    disclosure: str = ""


#: The primary endpoint of each question when a study file does not declare one (the shipped studies
#: declare theirs).
ENDPOINTS: dict[str, dict[str, Endpoint]] = {
    "funnel": {
        "H1": Endpoint("H1", "decrease", "fewer remains inside coverage than its area share"),
        "H2": Endpoint("H2.road_distance", "increase", "remains farther from roads after the split"),
        "H3": Endpoint(
            "H3.fit", "increase", "remains after deployment lie nearer the routes that avoid coverage than before"
        ),
        "H4": Endpoint("H4.trend", "increase", "deaths per encounter rise over the series"),
        "H5": Endpoint("H5", "increase", "hot spots move into harder terrain after the split"),
    },
    "maritime": {
        "M1": Endpoint("M1.change", "either", "deaths per crossing change between the declared periods"),
        "M2": Endpoint("M2.deaths.coast", "increase", "deaths lie farther from the departure coasts over time"),
        "M3": Endpoint("M3", "either", "the share of incidents inside the search-and-rescue regions changes"),
        "M4": Endpoint(
            "M4.aerial", "either", "boats first detected from the air differ from vessel-detected boats in deaths"
        ),
        "M5": Endpoint(
            "M5", "either", "hot spots of incidents lie nearer to or farther from the departure coasts after the split"
        ),
        "M6": Endpoint(
            "M6.aerial",
            "either",
            "the monthly share of attempted crossings ended by a Libyan interception moves with aerial surveillance",
        ),
    },
}


@dataclass(frozen=True)
class SensorDefaults:
    """What to assume for a sensor kind when a sensor's own record is silent.

    Heights and ranges in metres; ``active_from`` is the first day a sensor of this kind
    counts as active when its own date is unknown.  ``basis`` says where the numbers come
    from (public records), so that every assumption is visible and editable.
    """

    kind: str
    height_m: float
    range_m: float
    active_from: dt.date | None
    basis: str = ""


@dataclass(frozen=True)
class Study:
    """A study, checked whole whenever it is made (from a file, :meth:`with_` or ``dataclasses.replace``).

    Attributes
    ----------
    name
        Short name, ``[A-Za-z0-9._-]+`` (it names the output folder).
    title, description
        What the study is about, in words.
    seed
        Seed of every random draw (a whole number ≥ 0).
    bbox
        Region ``(west, south, east, north)``, decimal degrees.
    crs
        ``"auto"`` (the UTM zone of the region's centre) or a projected CRS in metres.
    resolution_m
        Cell size of raster computations, m.
    start, end
        The study period (inclusive).
    interventions
        Dated changes in surveillance or policy.
    shocks
        Known co-occurring events and denominator breaks (:class:`Shock`).
    endpoints
        Question (``H1`` … ``M5``) → its pre-specified primary :class:`Endpoint` (``[endpoints.<question>]``;
        a question the file leaves out takes its default from :data:`ENDPOINTS`).
    layers
        Role (the roles of the battery, :data:`~borderscape.analyses.params.ROLES`) → a catalog id, a
        path to a layer file written by ``borderscape ingest`` (``.parquet``, ``.gpkg``, ``.geojson``,
        ``.csv``), or an inline table for a raw file (:func:`_layer_entry`: ``path``, ``columns``,
        ``source`` and the options of :func:`borderscape.layers.ingest.ingest_file`).
    sources
        ``[sources.<id>]``: whom to credit (:class:`SourceCredit`) for the layers whose entry says
        ``source = "<id>"``.
    sensors
        Sensor kind → :class:`SensorDefaults`.
    parameters
        Every ``[parameters.<section>]`` table, typed and with its defaults (:class:`~borderscape.analyses.params.Parameters`).
    caveats
        Limits of the data, stated in every output.
    battery
        ``"funnel"`` or ``"maritime"``.
    path
        The file the study was read from (relative layer paths are read from its folder), or None.
    """

    name: str
    title: str
    description: str
    seed: int
    bbox: tuple[float, float, float, float]
    crs: str
    resolution_m: float
    start: dt.date
    end: dt.date
    interventions: tuple[Intervention, ...]
    layers: Mapping[str, str | Mapping[str, Any]]
    sensors: Mapping[str, SensorDefaults]
    parameters: Parameters
    caveats: tuple[str, ...] = ()
    battery: str = "funnel"
    path: Path | None = field(default=None, compare=False)
    shocks: tuple[Shock, ...] = ()
    endpoints: Mapping[str, Endpoint] = field(default_factory=FrozenMap)
    sources: Mapping[str, SourceCredit] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        # one road for every study: back to tables, checked whole, then typed
        for name, value in _fields(_tables(self)).items():
            object.__setattr__(self, name, value)

    @property
    def params(self) -> Parameters:
        """The typed parameters (``study.params.hardship.min_per_year``); the same as :attr:`parameters`."""
        return self.parameters

    def with_(self, **changes: Any) -> Study:
        """A new study with ``changes``, checked whole like a study file.

        Parameters
        ----------
        **changes
            Fields of :class:`Study` (``resolution_m=250``, ``seed=1``, ``layers={...}``: a
            field is replaced whole), except ``parameters``, whose sections are merged key by
            key into the current ones: ``parameters={"hardship": {"min_per_year": 5}}`` changes
            one key and keeps the others; ``None`` resets a key to its default.  A
            :class:`~borderscape.analyses.params.Parameters` replaces them all.

        Raises
        ------
        StudyError
            An unknown field or key, or a value of the wrong kind or out of range.

        Examples
        --------
        >>> study = load_study("arizona-sonora")
        >>> quick = study.with_(seed=1, parameters={"statistics": {"permutations": 99}})
        >>> quick.seed, quick.params.statistics.permutations, quick.params.statistics.confidence
        (1, 99, 0.95)
        """
        names = [f.name for f in dataclasses.fields(self)]
        for name, value in changes.items():
            if name not in names:
                raise unknown_key(name, value, names, "a Study")
        new = changes.get("parameters")
        if isinstance(new, Mapping) and not isinstance(new, Parameters):
            battery = changes.get("battery", self.battery)
            merged: dict[str, Any] = {name: _values(s) for name, s in self.parameters.given(battery).items()}
            for name, table in new.items():
                if isinstance(table, Mapping) and not isinstance(table, Section):
                    aliases = SECTIONS[name].ALIASES if name in SECTIONS else {}
                    named = {aliases.get(k, k): v for k, v in table.items()}
                    if len(named) < len(table):
                        twice = next(k for k in table if k in aliases and aliases[k] in table)
                        raise StudyError(
                            f"study key 'parameters.{name}.{aliases[twice]}' is given twice "
                            f"(as {aliases[twice]!r} and {twice!r})",
                            remedy="keep one",
                        )
                    table = {**merged.get(name, {}), **named}
                merged[name] = table
            changes["parameters"] = merged
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Everything that shapes the numbers, JSON-ready, in the layout of a study file.

        Parameters come whole, defaults included (``None``: derived from the data);
        :meth:`from_dict` reads it back into an equal study.
        """
        tables = _tables(self)
        tables["endpoints"] = {
            k: {"result": v.result, "direction": v.direction, "why": v.why, "disclosure": v.disclosure}
            for k, v in self.endpoints.items()
        }
        tables["parameters"] = {n: s.to_dict() for n, s in self.parameters.given(self.battery).items()}
        out: dict[str, Any] = plain(tables)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: Path | None = None) -> Study:
        """A study from the tables of a study file (as :func:`tomllib.loads` or :meth:`to_dict` give them)."""
        return cls(**_fields(data), path=path)


def working_crs(study: Study) -> CRS:
    """The one projected CRS every computation of ``study`` uses (metres).

    ``crs = "auto"`` (any case) is the UTM zone of the centre of the study's bounding box
    (:func:`borderscape.geo.crs.local_crs`), never of a layer's records, so that every
    hypothesis, table and figure of a study measures in the same projection.
    """
    if study.crs.strip().lower() == "auto":
        from borderscape.geo.crs import local_crs  # here: geopandas is slow to import, a study is not

        auto: CRS = local_crs(study.bbox, crs="EPSG:4326")
        return auto
    crs: CRS = CRS.from_user_input(study.crs)
    return crs


def shipped_studies() -> list[str]:
    """Names of the studies that ship with the package."""
    folder = resources.files("borderscape.analyses") / "studies"
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def _read_study_file(path: Path) -> str:
    """The text of a study file: UTF-8 (a byte-order mark is dropped), or UTF-16 with a
    byte-order mark; anything else is a :class:`StudyError` saying how to save it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StudyError(
            f"study file {path} cannot be read ({exc.strerror or type(exc).__name__})",
            remedy="give the path of a readable TOML file",
        ) from exc
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StudyError(
            f"study file {path} is not {'UTF-16' if encoding == 'utf-16' else 'UTF-8'} text "
            f"(undecodable byte at line {line}, byte {exc.start})",
            remedy="save the study file as UTF-8 (TOML files must be UTF-8) and run again",
        ) from exc


def load_study(name_or_path: str | os.PathLike[str]) -> Study:
    """Read a study by shipped name or by path, and check it whole.

    Parameters
    ----------
    name_or_path
        ``arizona-sonora`` (a shipped study) or the path of a TOML file.

    Raises
    ------
    StudyError
        When the file is missing, unreadable, not UTF-8 or not TOML, or a key is unknown,
        missing or malformed;
        the message names the key and what it expects.
    """
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.exists():
            raise StudyError(
                f"study file {candidate} does not exist",
                remedy=f"give a path to a TOML file or one of the shipped studies: {', '.join(shipped_studies())}",
            )
        text, path = _read_study_file(candidate), candidate
    else:
        resource = resources.files("borderscape.analyses") / "studies" / f"{name_or_path}.toml"
        if not resource.is_file():
            raise StudyError(
                f"no shipped study named {str(name_or_path)!r}",
                remedy=f"use one of: {', '.join(shipped_studies())}, or the path of your own TOML file",
            )
        text, path = resource.read_text(encoding="utf-8"), None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise StudyError(
            f"study file {path or name_or_path} is not valid TOML: {exc or 'nested too deeply'}",
            remedy="fix the syntax at the line and column given",
        ) from exc
    return Study.from_dict(data, path)


# -- checking -------------------------------------------------------------------------------


def _values(section: Section) -> dict[str, Any]:
    return {k: getattr(section, k) for k in section.keys_()}


def _tables(s: Study) -> dict[str, Any]:
    """A study's fields as the tables of a study file (values as they are, not yet checked)."""

    def sensor(v: Any) -> Any:
        return (
            {"height_m": v.height_m, "range_m": v.range_m, "active_from": v.active_from, "basis": v.basis}
            if isinstance(v, SensorDefaults)
            else v
        )

    items = s.interventions if isinstance(s.interventions, (list, tuple)) else None
    return {
        "study": {
            "name": s.name,
            "title": s.title,
            "description": s.description,
            "seed": s.seed,
            "battery": s.battery,
            "caveats": s.caveats,
        },
        "region": {"bbox": s.bbox, "crs": s.crs, "resolution_m": s.resolution_m},
        "periods": {
            "start": s.start,
            "end": s.end,
            "interventions": s.interventions
            if items is None
            else [
                {"name": i.name, "date": i.date, "note": i.note} if isinstance(i, Intervention) else i for i in items
            ],
            "shocks": [
                {"name": k.name, "date": k.date, "note": k.note, "denominator": k.denominator}
                if isinstance(k, Shock)
                else k
                for k in s.shocks
            ]
            if isinstance(s.shocks, (list, tuple))
            else s.shocks,
        },
        # a study moved to the other battery (with_(battery=...)) keeps only the questions of its battery
        "endpoints": {
            k: {"result": v.result, "direction": v.direction, "why": v.why, "disclosure": v.disclosure}
            if isinstance(v, Endpoint)
            else v
            for k, v in s.endpoints.items()
            if not isinstance(v, Endpoint) or k in QUESTIONS.get(str(s.battery), ())
        }
        if isinstance(s.endpoints, Mapping)
        else s.endpoints,
        "layers": s.layers,
        "sources": {k: dataclasses.asdict(v) if isinstance(v, SourceCredit) else v for k, v in s.sources.items()}
        if isinstance(s.sources, Mapping)
        else s.sources,
        "sensors": {k: sensor(v) for k, v in s.sensors.items()} if isinstance(s.sensors, Mapping) else s.sensors,
        "parameters": s.parameters.given(s.battery) if isinstance(s.parameters, Parameters) else s.parameters,
    }


def _table(data: Mapping[str, Any], key: str, *, required: bool = True) -> Mapping[str, Any]:
    if data.get(key) is None:
        if required:
            raise StudyError(
                f"study table [{key}] is missing", remedy=f"add it with its keys: {', '.join(TABLES[key])}"
            )
        return {}
    table: Mapping[str, Any] = check_keys(data[key], TABLES[key], key, f"[{key}]")
    return table


def _need(table: Mapping[str, Any], path: str, form: str) -> Any:
    key = path.rsplit(".", 1)[-1]
    if table.get(key) is None:
        raise StudyError(f"study key {path!r} is missing", remedy=f"add it: {key} = {form}")
    return table[key]


def _name(value: Any) -> str:
    name: str = check_value(value, str, "study.name")
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise StudyError(
            f"study key 'study.name' must be a short name of letters, digits and '.', '_', '-' "
            f"(it names the output folder), got {name!r}",
            remedy='name it like "arizona-sonora-2010s": no spaces, slashes or accents, not "." or ".."',
        )
    return name


def _crs(value: Any) -> str:
    text: str = check_value(value, str, "region.crs").strip()
    if text.lower() == "auto":
        return text
    form = 'must be "auto" (the local UTM zone) or a projected CRS in metres such as "EPSG:32612"'
    try:
        crs = CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        why = str(exc).splitlines()[0]
        raise StudyError(f"study key 'region.crs' {form}, got {text!r}, which pyproj cannot read ({why})") from exc
    if not crs.is_projected:
        raise StudyError(f"study key 'region.crs' {form}, got {text!r}, a geographic CRS ({crs.name}, degrees)")
    units = {a.unit_name for a in crs.axis_info[:2]}
    if not units <= {"metre", "meter"}:
        raise StudyError(f"study key 'region.crs' {form}, got {text!r}, whose units are {', '.join(sorted(units))}")
    return text


def _sensors(tables: Any) -> FrozenMap:
    if not isinstance(tables, Mapping):
        raise StudyError(f"study key 'sensors' must be tables [sensors.<kind>], got {tables!r}")
    out = {}
    for kind, table in tables.items():
        path = f"sensors.{kind}"
        check_keys(table, SENSOR_KEYS, path, f"[{path}]")
        active = table.get("active_from")
        out[str(kind)] = SensorDefaults(
            kind=str(kind),
            height_m=check_value(
                _need(table, f"{path}.height_m", "a height in metres, e.g. 40"),
                float,
                f"{path}.height_m",
                {"gt": 0, "unit": "m"},
            ),
            range_m=check_value(
                _need(table, f"{path}.range_m", "a range in metres, e.g. 12000"),
                float,
                f"{path}.range_m",
                {"gt": 0, "unit": "m"},
            ),
            active_from=None if active is None else check_date(active, f"{path}.active_from"),
            basis=check_value(table.get("basis", ""), str, f"{path}.basis"),
        )
    return FrozenMap(out)


def _sources(tables: Any) -> FrozenMap:
    """``[sources.<id>]`` → :class:`SourceCredit`; an id may not be a catalog id (a catalog source
    is credited from the catalog)."""
    if not isinstance(tables, Mapping):
        raise StudyError(f"study key 'sources' must be tables [sources.<id>], got {tables!r}")
    from borderscape.layers.catalog import CATALOG

    out = {}
    for sid, table in tables.items():
        if not _NAME.fullmatch(str(sid)):
            raise StudyError(
                f"study key 'sources.{sid}' must be a short id of letters, digits and '.', '_', '-'",
                remedy='name it like [sources.my-sector] with publisher = "..."',
            )
        if str(sid) in CATALOG:
            raise StudyError(
                f"study table [sources.{sid}] has the id of a catalog source, which is credited from the catalog",
                remedy=f'give your source another id (e.g. [sources.my-{sid}]), or name the catalog id "{sid}" '
                "itself under [layers]",
            )
        out[str(sid)] = record(SourceCredit, table, f"sources.{sid}")
    return FrozenMap(out)


def _layer_entry(value: Any, role: str, sources: Mapping[str, SourceCredit]) -> str | FrozenMap:
    """One ``[layers]`` entry, checked: a catalog id or a file path (text), or an inline table.

    An inline table has ``path`` (the file; relative to the study file's folder), optionally
    ``source`` (an id of ``[sources.<id>]`` or of the catalog: whom to credit) and, for a raw
    file, ``columns`` (role → column of the file) with any other keyword argument of
    :func:`borderscape.layers.ingest.ingest_file` (``keep``, ``crs``, ``date_format``, ``region``
    …; ``kind`` comes from the layer's role).  Without ``columns`` the file must be a layer file
    written by ``borderscape ingest``.
    """
    path = f"layers.{role}"
    if not isinstance(value, Mapping):
        text: str = check_value(value, str, path)
        return text
    known = list(LAYER_TABLE_KEYS) + [k for k in _ingest_options() if k not in LAYER_TABLE_REFUSED]
    form = (
        f'{role} = {{ path = "sector.csv", columns = {{ lat = "Latitude", lon = "Longitude", date = "Date" }}, '
        'date_format = "%m/%d/%Y", source = "my-source" }'
    )
    for key, v in value.items():
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
            raise StudyError(
                f"unknown study key '{path}.{key}' (given {v!r}){hint}",
                remedy=f"the keys of an inline layer table are: {', '.join(known)}; e.g. {form}",
            )
    if value.get("path") is None:
        raise StudyError(f"study key '{path}.path' is missing", remedy=f"add the file: {form}")
    out: dict[str, Any] = {"path": check_value(value["path"], str, f"{path}.path")}
    if value.get("source") is not None:
        sid = check_value(value["source"], str, f"{path}.source")
        from borderscape.layers.catalog import CATALOG

        if sid not in sources and sid not in CATALOG:
            raise StudyError(
                f"study key '{path}.source' names {sid!r}, which is neither a [sources.<id>] table of the study "
                "nor a catalog id",
                remedy=f'add [sources.{sid}] with publisher = "...", licence = "...", citation = "...", url = "..."',
            )
        out["source"] = sid
    for key, v in value.items():
        if key in out or v is None:
            continue
        expected = LAYER_TABLE_TYPES.get(key)
        if key == "columns":
            columns = check_value(v, Mapping[str, str], f"{path}.columns")
            if not columns:
                raise StudyError(f"study key '{path}.columns' is empty", remedy=f"map the columns: {form}")
            from borderscape.layers.ingest import GEOMETRY_ROLES, ROLES

            kind = role_kind(role)
            allowed = GEOMETRY_ROLES + ROLES.get(kind, ())
            wrong = sorted(set(columns) - set(allowed))
            if wrong or kind not in ROLES:
                raise StudyError(
                    f"study key '{path}.columns' maps {wrong or sorted(columns)}, which a {kind} layer "
                    f"(role {role!r}) does not have",
                    remedy=f"map the file's columns to: {', '.join(allowed)}"
                    if kind in ROLES
                    else f"role {role!r} reads a table: name a catalog id or a layer file written by `borderscape "
                    "ingest`",
                )
            out[key] = FrozenMap(dict(columns))
        elif key == "region":
            out[key] = check_bbox(v, f"{path}.region")
        else:
            out[key] = check_value(v, expected, f"{path}.{key}") if expected is not None else v
    if "columns" not in out and set(out) - set(LAYER_TABLE_KEYS):
        extra = sorted(set(out) - set(LAYER_TABLE_KEYS))
        raise StudyError(
            f"study keys {[f'{path}.{k}' for k in extra]} are for a raw file, which needs '{path}.columns'",
            remedy=f"say which column is which: {form}; a file written by `borderscape ingest` needs only path "
            "(and source)",
        )
    return FrozenMap(out)


def _ingest_options() -> tuple[str, ...]:
    """The keyword arguments :func:`borderscape.layers.ingest.ingest_file` accepts (read from its signature,
    so options added there are accepted in a study's inline layer tables)."""
    import inspect

    from borderscape.layers.ingest import ingest_file

    return tuple(name for name, p in inspect.signature(ingest_file).parameters.items() if p.kind is p.KEYWORD_ONLY)


def _endpoints(tables: Any, battery: str) -> FrozenMap:
    """Every question of ``battery`` → its primary endpoint: the study's ``[endpoints.<question>]``, else the
    default (:data:`ENDPOINTS`).  An endpoint's result must be an id of its own question."""
    questions = QUESTIONS[battery]
    check_keys(tables, questions, "endpoints", f"[endpoints] of a {battery} study")
    out = dict(ENDPOINTS[battery])
    for question, table in tables.items():
        endpoint = record(Endpoint, table, f"endpoints.{question}")
        if endpoint.result.split(".")[0] != question:
            raise StudyError(
                f"study key 'endpoints.{question}.result' must be a result of {question} "
                f"(an id such as {ENDPOINTS[battery][question].result!r}), got {endpoint.result!r}"
            )
        out[str(question)] = endpoint
    return FrozenMap(out)


def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, typed fields of a :class:`Study` from the tables of a study file."""
    check_keys(data, TABLES[""], "", "a study file")
    study, region, periods = _table(data, "study"), _table(data, "region"), _table(data, "periods")
    name = _name(_need(study, "study.name", '"my-region" (a short name)'))
    battery = check_value(study.get("battery", "funnel"), Literal["funnel", "maritime"], "study.battery")
    start = check_date(_need(periods, "periods.start", '"YYYY-MM-DD"'), "periods.start")
    end = check_date(_need(periods, "periods.end", '"YYYY-MM-DD"'), "periods.end")
    if end <= start:
        raise StudyError(f"study key 'periods.end' ({end}) must come after 'periods.start' ({start})")
    items = periods.get("interventions", [])
    if not isinstance(items, (list, tuple)):
        raise StudyError(
            f"study key 'periods.interventions' must be a list of tables "
            f'{{ name = "...", date = "YYYY-MM-DD" }}, got {items!r}'
        )
    layers = check_keys(data.get("layers", {}), ROLES[battery], "layers", f"[layers] of a {battery} study")
    sources = _sources(data.get("sources", {}))
    shocks = periods.get("shocks", [])
    if not isinstance(shocks, (list, tuple)):
        raise StudyError(
            f"study key 'periods.shocks' must be a list of tables "
            f'{{ name = "...", date = "YYYY-MM-DD" }}, got {shocks!r}'
        )
    return dict(
        name=name,
        title=check_value(study.get("title", name), str, "study.title"),
        description=check_value(study.get("description", ""), str, "study.description"),
        seed=check_value(_need(study, "study.seed", "a whole number, e.g. 20190601"), int, "study.seed", {"ge": 0}),
        bbox=check_bbox(_need(region, "region.bbox", "[west, south, east, north] in decimal degrees"), "region.bbox"),
        crs=_crs(region.get("crs", "auto")),
        resolution_m=check_value(
            _need(region, "region.resolution_m", "a cell size in metres, e.g. 90"),
            float,
            "region.resolution_m",
            {"gt": 0, "unit": "m"},
        ),
        start=start,
        end=end,
        interventions=tuple(record(Intervention, item, f"periods.interventions[{i}]") for i, item in enumerate(items)),
        shocks=tuple(record(Shock, item, f"periods.shocks[{i}]") for i, item in enumerate(shocks)),
        endpoints=_endpoints(data.get("endpoints", {}), battery),
        layers=FrozenMap({role: _layer_entry(v, role, sources) for role, v in layers.items()}),
        sources=sources,
        sensors=_sensors(data.get("sensors", {})),
        parameters=Parameters.from_mapping(data.get("parameters", {}), battery),
        caveats=check_value(study.get("caveats", ()), tuple[str, ...], "study.caveats"),
        battery=battery,
    )
