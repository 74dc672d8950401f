"""Study files: a region, periods and intervention dates, layers, parameters and a seed.

A study is a TOML file.  Two ship with the package (``borderscape.analyses/studies``);
users copy one and edit it for their own region or period.  :func:`load_study` reads a
shipped name (``arizona-sonora``) or a path, and a malformed file raises
:class:`~borderscape.geo.errors.StudyError` naming the key and the form it expects.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from pyproj import CRS

from borderscape.geo.crs import local_crs
from borderscape.geo.errors import StudyError


#: The batteries of tests a study can run (see :mod:`borderscape.analyses.funnel`).
BATTERIES = ("funnel", "maritime")


@dataclass(frozen=True)
class Intervention:
    """A dated change in surveillance or policy (e.g. the first SBInet towers)."""

    name: str
    date: dt.date
    note: str = ""


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
    """A study read from a TOML file (see ``analyses/studies/arizona-sonora.toml``)."""

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
    layers: Mapping[str, str]
    sensors: Mapping[str, SensorDefaults]
    parameters: Mapping[str, Mapping[str, Any]]
    caveats: tuple[str, ...] = ()
    battery: str = "funnel"
    path: Path | None = field(default=None, compare=False)

    def parameter(self, section: str, key: str, default: Any = None) -> Any:
        """A value of the ``[parameters.<section>]`` table, or ``default``.

        When ``default`` is a number the value must be one too (a whole number when
        ``default`` is an int); otherwise a :class:`StudyError` names the key.
        """
        value = self.parameters.get(section, {}).get(key, default)
        name = f"parameters.{section}.{key}"
        if isinstance(default, bool) or default is None:
            return value
        if isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise StudyError(f"study key {name!r} must be a whole number, got {value!r}")
            return value
        if isinstance(default, float):
            return _number(value, name)
        return value


def working_crs(study: Study) -> CRS:
    """The one projected CRS every computation of ``study`` uses (metres).

    ``crs = "auto"`` (any case) is the UTM zone of the centre of the study's bounding box
    (:func:`borderscape.geo.crs.local_crs`), never of a layer's records, so that every
    hypothesis, table and figure of a study measures in the same projection.
    """
    if study.crs.strip().lower() == "auto":
        return local_crs(study.bbox, crs="EPSG:4326")
    return CRS.from_user_input(study.crs)


def shipped_studies() -> list[str]:
    """Names of the studies that ship with the package."""
    folder = resources.files("borderscape.analyses") / "studies"
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_study(name_or_path: str | Path) -> Study:
    """Read a study by shipped name or by path.

    Parameters
    ----------
    name_or_path
        ``arizona-sonora`` (a shipped study) or the path of a TOML file.

    Raises
    ------
    StudyError
        When the file is missing, is not TOML, or a key is missing or malformed; the
        message names the key and the expected form.
    """
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.exists():
            raise StudyError(f"study file {candidate} does not exist",
                             remedy=f"give a path to a TOML file or one of the shipped studies: {', '.join(shipped_studies())}")
        text, path = candidate.read_text(encoding="utf-8"), candidate
    else:
        resource = resources.files("borderscape.analyses") / "studies" / f"{name_or_path}.toml"
        if not resource.is_file():
            raise StudyError(f"no shipped study named {str(name_or_path)!r}",
                             remedy=f"use one of: {', '.join(shipped_studies())}, or the path of your own TOML file")
        text, path = resource.read_text(encoding="utf-8"), None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"study file {path or name_or_path} is not valid TOML: {exc}",
                         remedy="fix the syntax at the line and column given") from exc
    return _parse(data, path)


# -- validation -----------------------------------------------------------------------------

def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], form: str, *, required: bool = True,
         default: Any = None) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            if required:
                raise StudyError(f"study key {key!r} is missing", remedy=f"add it: {key} = {form}")
            return default
        node = node[part]
    if isinstance(node, bool) and kind in (int, float, (int, float)):
        raise StudyError(f"study key {key!r} must be {form}, got {node!r}")
    if not isinstance(node, kind):
        raise StudyError(f"study key {key!r} must be {form}, got {node!r}")
    return node


def _date(value: Any, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise StudyError(f"study key {key!r} must be a date written YYYY-MM-DD, got {value!r}")


def _number(value: Any, key: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StudyError(f"study key {key!r} must be a number, got {value!r}")
    if positive and value <= 0:
        raise StudyError(f"study key {key!r} must be a positive number, got {value!r}")
    return float(value)


def _parse(data: Mapping[str, Any], path: Path | None) -> Study:
    name = _get(data, "study.name", str, '"my-region" (a short name)')
    bbox = _get(data, "region.bbox", list, "[west, south, east, north] in decimal degrees")
    if len(bbox) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox):
        raise StudyError(f"study key 'region.bbox' must be [west, south, east, north] in decimal degrees, got {bbox!r}")
    west, south, east, north = (float(v) for v in bbox)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise StudyError(f"study key 'region.bbox' must have west < east and south < north within ±180/±90, got {bbox!r}")
    crs = _get(data, "region.crs", str, '"auto" (a local UTM zone) or "EPSG:32612"', required=False, default="auto")
    resolution = _number(_get(data, "region.resolution_m", (int, float), "a cell size in metres, e.g. 90"),
                         "region.resolution_m", positive=True)
    start = _date(_get(data, "periods.start", (str, dt.date), '"YYYY-MM-DD"'), "periods.start")
    end = _date(_get(data, "periods.end", (str, dt.date), '"YYYY-MM-DD"'), "periods.end")
    if end <= start:
        raise StudyError(f"study key 'periods.end' ({end}) must come after 'periods.start' ({start})")
    interventions = []
    for i, item in enumerate(_get(data, "periods.interventions", list,
                                  '[{ name = "...", date = "YYYY-MM-DD" }, ...]', required=False, default=[])):
        key = f"periods.interventions[{i}]"
        if not isinstance(item, Mapping):
            raise StudyError(f"study key {key!r} must be a table {{ name = \"...\", date = \"YYYY-MM-DD\" }}, got {item!r}")
        iname = _get(item, "name", str, '"a name"')
        interventions.append(Intervention(iname, _date(item.get("date"), f"{key}.date"), str(item.get("note", ""))))
    layers = _get(data, "layers", Mapping, '{ deaths = "pcome", ... } (catalog ids or file paths)', required=False, default={})
    for role, value in layers.items():
        if not isinstance(value, str):
            raise StudyError(f"study key 'layers.{role}' must be a catalog id or a file path (text), got {value!r}")
    sensors = {}
    for kind, spec in _get(data, "sensors", Mapping, "{ IFT = { height_m = ..., range_m = ..., active_from = ... } }",
                           required=False, default={}).items():
        key = f"sensors.{kind}"
        if not isinstance(spec, Mapping):
            raise StudyError(f"study key {key!r} must be a table {{ height_m = ..., range_m = ..., active_from = \"YYYY-MM-DD\" }}")
        sensors[kind] = SensorDefaults(
            kind=kind,
            height_m=_number(spec.get("height_m"), f"{key}.height_m", positive=True),
            range_m=_number(spec.get("range_m"), f"{key}.range_m", positive=True),
            active_from=_date(spec["active_from"], f"{key}.active_from") if "active_from" in spec else None,
            basis=str(spec.get("basis", "")),
        )
    parameters = _get(data, "parameters", Mapping, "tables of parameters per analysis", required=False, default={})
    for section, table in parameters.items():
        if not isinstance(table, Mapping):
            raise StudyError(f"study key 'parameters.{section}' must be a table of parameters, got {table!r}")
    seed = _get(data, "study.seed", int, "an integer, e.g. 20190601")
    battery = _get(data, "study.battery", str, '"funnel" (desert crossings) or "maritime" (sea crossings)',
                   required=False, default="funnel")
    if battery not in BATTERIES:
        raise StudyError(f"study key 'study.battery' must be one of {', '.join(repr(b) for b in BATTERIES)}, got {battery!r}")
    caveats = tuple(_get(data, "study.caveats", list, '["...", ...]', required=False, default=[]))
    return Study(
        name=name,
        title=_get(data, "study.title", str, '"a title"', required=False, default=name),
        description=_get(data, "study.description", str, '"..."', required=False, default=""),
        seed=seed,
        bbox=(west, south, east, north),
        crs=crs,
        resolution_m=resolution,
        start=start,
        end=end,
        interventions=tuple(interventions),
        layers=dict(layers),
        sensors=sensors,
        parameters={k: dict(v) for k, v in parameters.items()},
        caveats=tuple(str(c) for c in caveats),
        battery=battery,
        path=path,
    )
