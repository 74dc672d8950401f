"""The parameters of a study: one frozen section per ``[parameters.<section>]`` table.

Every key a battery reads is declared here, once, with its type, default, unit, allowed
range and what it does; the defaults live nowhere else.  A study reads them as attributes,
``study.params.hardship.min_per_year``.  A key whose default is ``None`` is derived from the
data by the analysis that reads it (e.g. the hot-spot cell size from the extent of the
records); its docstring says how.

:func:`check_value` turns a value of a study file (or of a Python edit) into the declared
type, or raises :class:`~borderscape.geo.errors.StudyError` naming the key (a dotted path),
what was given and what is expected; an unknown key names the known keys nearby.

Sections also read as read-only mappings of JSON-ready values (``params["cost"]["load_kg"]``,
``.get``, ``.items()``, derived keys left out), for callers written against the former
nested dictionaries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import json
import math
import numbers
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from borderscape.geo.errors import StudyError

__all__ = [
    "BATTERY_SECTIONS",
    "H4",
    "ROLES",
    "SECTIONS",
    "Cost",
    "DepartureCoast",
    "Displacement",
    "FrozenMap",
    "Hardship",
    "Maritime",
    "Parameters",
    "Routes",
    "Section",
    "Statistics",
    "Viewshed",
    "check_keys",
    "check_value",
    "schema",
    "spec",
]

#: What a role needs: the layer kinds it accepts, the geometry families it reads ("point",
#: "line", "polygon"; empty for a table), and catalog ids that serve it (for the remedy).  Read
#: from the batteries: the border may be an area (its outline is used), the environment grid
#: is points or cells, the coastline lines or land polygons.
ROLE_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "deaths": (("deaths",), ("point",), ("pcome", "iom-mmp", "iom-mmp-europe")),
    "terrain_covariates": (("deaths",), ("point",), ("pcome-terrain",)),
    "incidents": (("deaths",), ("point",), ("frontex-incidents",)),
    "towers": (("sensors",), ("point",), ("eff-towers",)),
    "coastal_stations": (("sensors",), ("point",), ()),
    "aerial_tracks": (("sensors",), ("line",), ()),
    "operational_areas": (("sensors",), ("polygon",), ("frontex-opareas",)),
    "border": (("context",), ("line", "polygon"), ("ibwc-boundary",)),
    "roads": (("context",), ("line",), ("tiger-roads-az",)),
    "coastline": (("context",), ("line", "polygon"), ("gshhg",)),
    "water_stations": (("context",), ("point",), ("hb-water-stations",)),
    "stations": (("context",), ("point",), ("usbp-stations",)),
    "sar_regions": (("context",), ("polygon",), ("imo-srr",)),
    "environment": (("context",), ("point", "polygon"), ("az-env-grid",)),
    "encounters": (("table",), (), ("cbp-encounters",)),
    "crossings": (("table",), (), ("iom-med-monthly", "unhcr-arrivals", "frontex-detections")),
}


def role_kind(role: str) -> str:
    """The layer kind a role reads (:data:`ROLE_NEEDS`; ``context`` for a role it does not list)."""
    needs = ROLE_NEEDS.get(role)
    return needs[0][0] if needs else "context"


#: Layer roles a study's ``[layers]`` table may name, per battery (the roles the code reads).
ROLES: dict[str, tuple[str, ...]] = {
    "funnel": (
        "deaths",
        "terrain_covariates",
        "border",
        "roads",
        "water_stations",
        "stations",
        "encounters",
        "towers",
        "dem",
        "environment",
        "temperature",
    ),
    "maritime": (
        "crossings",
        "deaths",
        "incidents",
        "sar_regions",
        "operational_areas",
        "coastline",
        "coastal_stations",
        "aerial_tracks",
        "flights",
        "dem",
    ),
}
#: ``[parameters.<section>]`` tables each battery reads.
BATTERY_SECTIONS: dict[str, tuple[str, ...]] = {
    "funnel": ("statistics", "hardship", "h4", "viewshed", "displacement", "routes", "cost"),
    "maritime": ("statistics", "maritime"),
}
#: ``[west, south, east, north]`` in decimal degrees.
BBox = tuple[float, float, float, float]
#: Sea routes of the maritime battery (the keys of its ``ROUTES``).
Route = Literal["central", "western", "atlantic"]
MaritimeRole = Literal[
    "crossings",
    "deaths",
    "incidents",
    "sar_regions",
    "operational_areas",
    "coastline",
    "coastal_stations",
    "aerial_tracks",
    "flights",
    "dem",
]


class FrozenMap(dict[str, Any]):
    """A read-only ``dict`` (JSON-ready, picklable, hashable)."""

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise TypeError("a study is frozen: use study.with_(...) to change it")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __hash__(self) -> int:  # type: ignore[override,unused-ignore]
        return hash(tuple(sorted((k, _hashable(v)) for k, v in self.items())))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (dict(self),))


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


# -- declaring keys ---------------------------------------------------------------------------


def _key(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    min_items: int = 0,
) -> Any:
    """A declared key: its default, what it does, its unit and allowed range (for the elements of a list)."""
    return field(
        default=default,
        metadata={"doc": doc, "unit": unit, "ge": ge, "gt": gt, "le": le, "lt": lt, "min_items": min_items},
    )


def _range(meta: Mapping[str, Any]) -> str:
    parts = [
        f"{op} {meta[k]:g}" for k, op in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")) if meta.get(k) is not None
    ]
    return " and ".join(parts)


def expect(hint: Any, meta: Mapping[str, Any] | None = None) -> str:
    """What a value of type ``hint`` (with ``meta``: unit and range) is expected to be, in words."""
    meta = meta or {}
    unit = f" ({meta['unit']})" if meta.get("unit") else ""
    rng = _range(meta)
    origin, args = get_origin(hint), get_args(hint)
    if hint == BBox:
        return "[west, south, east, north] in decimal degrees"
    if origin in (Union, types.UnionType):
        return " or ".join(expect(a, meta) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in args)
    if origin is tuple:
        return "a list" + (" (not empty)" if meta.get("min_items") else "") + f", each {expect(args[0], meta)}"
    if origin is Mapping:
        return f'a table of key = "text", the keys {expect(args[0])}'
    if dataclasses.is_dataclass(hint):
        return "a table { " + ", ".join(f"{f.name} = ..." for f in dataclasses.fields(hint)) + " }"
    words = {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "text",
        dt.date: 'a date "YYYY-MM-DD"',
    }[hint]
    return words + (f" {rng}" if rng and hint in (int, float) else "") + (unit if hint in (int, float) else "")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fail(path: str, value: Any, hint: Any, meta: Mapping[str, Any] | None = None, why: str = "") -> StudyError:
    return StudyError(f"study key {path!r} must be {expect(hint, meta)}, got {_short(value)}{why}")


def check_value(value: Any, hint: Any, path: str, meta: Mapping[str, Any] | None = None) -> Any:
    """``value`` as type ``hint``, checked against ``meta`` (unit, range); :class:`StudyError` otherwise.

    Whole numbers are accepted where a number is expected; numbers must be finite; a date is a
    TOML date or text ``YYYY-MM-DD``; lists become tuples and tables records.
    """
    meta = meta or {}
    origin, args = get_origin(hint), get_args(hint)
    if hint == BBox:
        return check_bbox(value, path)
    if origin in (Union, types.UnionType):
        arms = [a for a in args if a is not type(None)]
        if value is None and len(arms) < len(args):
            return None
        for arm in arms:
            try:
                return check_value(value, arm, path, meta)
            except StudyError:
                pass
        raise _fail(path, value, hint, meta)
    if origin is Literal:
        if isinstance(value, str) and value in args:
            return value
        raise _fail(path, value, hint, meta)
    if origin is tuple:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise _fail(path, value, hint, meta)
        if len(value) < meta.get("min_items", 0):
            raise _fail(path, value, hint, meta, " (an empty list)")
        return tuple(check_value(v, args[0], f"{path}[{i}]", meta) for i, v in enumerate(value))
    if origin is Mapping:
        if not isinstance(value, Mapping):
            raise _fail(path, value, hint, meta)
        if get_origin(args[0]) is Literal:
            check_keys(value, get_args(args[0]), path, f"[{path}]")
        return FrozenMap(
            {check_value(k, args[0], f"{path}.{k}"): check_value(v, args[1], f"{path}.{k}") for k, v in value.items()}
        )
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return record(hint, value, path)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _fail(path, value, hint, meta)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise _fail(path, value, hint, meta)
        return _in_range(int(value), value, path, hint, meta)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise _fail(path, value, hint, meta)
        if not math.isfinite(value):
            raise _fail(path, value, hint, meta, " (numbers must be finite)")
        return _in_range(float(value), value, path, hint, meta)
    if hint is str:
        if isinstance(value, str):
            return value
        raise _fail(path, value, hint, meta)
    if hint is dt.date:
        return check_date(value, path)
    raise TypeError(f"no check for type {hint!r} of {path!r}")  # pragma: no cover - a schema error


def _in_range(value: float, given: Any, path: str, hint: Any, meta: Mapping[str, Any]) -> Any:
    ge, gt, le, lt = (meta.get(k) for k in ("ge", "gt", "le", "lt"))
    if (
        (ge is not None and value < ge)
        or (gt is not None and value <= gt)
        or (le is not None and value > le)
        or (lt is not None and value >= lt)
    ):
        raise _fail(path, given, hint, meta, " (out of range)")
    return value


def check_date(value: Any, path: str) -> dt.date:
    """A date from a TOML date, a datetime or text ``YYYY-MM-DD``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise StudyError(f"study key {path!r} must be a date written YYYY-MM-DD, got {_short(value)}")


def check_bbox(value: Any, path: str) -> BBox:
    """``[west, south, east, north]``: finite degrees, west < east, south < north, within ±180 / ±90."""
    form = "[west, south, east, north] in decimal degrees"
    if (
        isinstance(value, (str, bytes, Mapping))
        or not isinstance(value, Sequence)
        or len(value) != 4
        or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    ):
        raise StudyError(f"study key {path!r} must be {form} (four finite numbers), got {_short(value)}")
    west, south, east, north = (float(v) for v in value)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise StudyError(
            f"study key {path!r} must be {form} with west < east and south < north within ±180/±90, got {_short(value)}"
        )
    return (west, south, east, north)


def check_keys(table: Any, known: Sequence[str], path: str, label: str) -> Mapping[str, Any]:
    """``table`` as a mapping whose keys are all ``known``; else a :class:`StudyError` naming the
    first unknown key, what it was given, the known keys nearby and all the keys of ``label``."""
    if not isinstance(table, Mapping):
        raise StudyError(f"study key {path!r} must be a table, got {_short(table)}")
    for name, value in table.items():
        if name not in known:
            raise unknown_key(f"{path}.{name}" if path else str(name), value, known, label)
    return table


def unknown_key(path: str, value: Any, known: Sequence[str], label: str) -> StudyError:
    """The error of a key that ``label`` (e.g. ``[parameters.statistics]``) does not have."""
    name = path.rsplit(".", 1)[-1]
    near = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
    return StudyError(
        f"unknown study key {path!r} (given {_short(value)}){hint}",
        remedy=f"rename or remove it; the keys of {label} are: {', '.join(known) or '(none)'}",
    )


R = TypeVar("R")


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return get_type_hints(cls)


def record(cls: type[R], value: Any, path: str, aliases: Mapping[str, str] | None = None) -> R:
    """An instance of the frozen dataclass ``cls`` from a table (or an instance); every key checked.

    A key given ``None`` (possible from Python, not in TOML) takes its default.
    """
    if isinstance(value, cls):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = _hints(cast(Any, cls))
    aliases = aliases or {}
    label = getattr(cls, "LABEL", "") or f"[{path}]"
    check_keys(value, [*fields, *aliases], path, label)
    given: dict[str, Any] = {}
    for name, v in value.items():
        canonical = aliases.get(name, name)
        if canonical in given:
            raise StudyError(
                f"study key '{path}.{canonical}' is given twice (as {canonical!r} and {name!r})",
                remedy=f"keep one: {canonical} = ...",
            )
        if v is not None:
            given[canonical] = check_value(v, hints[canonical], f"{path}.{canonical}", fields[canonical].metadata)
    missing = [
        n
        for n, f in fields.items()
        if n not in given and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise StudyError(
            f"study key '{path}.{missing[0]}' is missing",
            remedy=f"add it: {missing[0]} = {expect(hints[missing[0]], fields[missing[0]].metadata)}",
        )
    return cls(**given)


def plain(value: Any) -> Any:
    """A typed value as JSON-ready data: dates as ``YYYY-MM-DD``, tuples as lists, records as dicts."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


# -- sections ---------------------------------------------------------------------------------


class Section(Mapping[str, Any]):
    """Base of the frozen parameter sections: typed attributes, and a read-only mapping view."""

    NAME: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""
    #: Other names accepted for a key in a study file (name → key).
    ALIASES: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def keys_(cls) -> tuple[str, ...]:
        """The declared keys, in order."""
        return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    @classmethod
    def from_mapping(cls, table: Any, path: str | None = None) -> Self:
        """The section from a ``[parameters.<section>]`` table (or a section); every key checked."""
        return record(cls, table, path or f"parameters.{cls.NAME}", cls.ALIASES)

    def to_dict(self) -> dict[str, Any]:
        """Every key with its value, JSON-ready (``None``: derived from the data)."""
        return {k: plain(getattr(self, k)) for k in self.keys_()}

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key) if key in self.keys_() else None
        if value is None:
            raise KeyError(key)
        return plain(value)

    def __iter__(self) -> Iterator[str]:
        return (k for k in self.keys_() if getattr(self, k) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


S = TypeVar("S", bound=Section)


def section(name: str) -> Callable[[type[S]], type[S]]:
    """Make ``cls`` a frozen section named ``name``; its docstring lists the keys (numpydoc)."""

    def wrap(cls: type[S]) -> type[S]:
        cls = dataclass(frozen=True)(cls)
        cls.NAME, cls.LABEL = name, f"[parameters.{name}]"
        lines = [(cls.__doc__ or "").rstrip(), "", "Attributes", "----------"]
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            m = f.metadata
            rng = _range(m)
            facts = [f"Default {f.default!r}"] + ([f"unit {m['unit']}"] if m["unit"] else []) + ([rng] if rng else [])
            lines += [f"{f.name} : {f.type}", f"    {m['doc']} {'; '.join(facts)}."]
        cls.__doc__ = "\n".join(lines)
        return cls

    return wrap


@section("statistics")
class Statistics(Section):
    """``[parameters.statistics]``: inference settings shared by every test of a battery."""

    confidence: float = _key(0.95, "Level of every confidence interval.", gt=0, lt=1)
    permutations: int = _key(999, "Permutations, simulations and bootstrap resamples of a test.", ge=1)
    fdr_alpha: float = _key(0.05, "False discovery rate of the Benjamini–Hochberg hot-spot maps.", gt=0, lt=1)
    hotspot_cell_m: float | None = _key(
        None,
        "Cell side of the Gi* hot-spot grid. None: a tenth of the longer "
        "side of the records' extent (funnel), 25 km (maritime).",
        unit="m",
        gt=0,
    )
    hotspot_band_m: float | None = _key(
        None, "Distance band of the Gi* weights. None: 1.5 cells (funnel), 50 km (maritime).", unit="m", gt=0
    )
    hotspot_periods: tuple[dt.date, ...] | None = _key(
        None, "Boundaries of the H5 hot-spot periods. None: the study's intervention dates."
    )
    hotspot_inference: Literal["exact", "permutation", "analytic"] = _key(
        "exact",
        'p-values of the Gi* cells: "exact" conditional randomisation (the permutation distribution enumerated, '
        'Pagano & Tritchler 1983: no Monte Carlo floor), "permutation" (Monte Carlo: permutations for H5, '
        '[parameters.maritime] hotspot_permutations for M5; p-values floor at 1/(permutations+1)) or "analytic" '
        "(normal, Ord & Getis 1995: anti-conservative for sparse counts).",
    )
    hotspot_block_cells: int | None = _key(
        None,
        "Side (cells) of the square blocks of the spatial block bootstrap of the share of hot cells. "
        "None: ceil(2 x band / cell), the reach of one Gi* neighbourhood into another.",
        ge=1,
    )
    min_months: int = _key(
        24,
        "Fewest months on each side of an interrupted time series or a before/after comparison of "
        "monthly series; with fewer the comparison is descriptive, with the reason.",
        unit="months",
        ge=1,
    )
    shock_window_months: int = _key(
        12,
        "A comparison whose split lies within this many months of a shock ([[periods.shocks]]) names it in its caveats.",
        unit="months",
        ge=0,
    )
    trend_autocorrelation: Literal["yue-wang", "hamed-rao", "none"] = _key(
        "yue-wang",
        "Autocorrelation correction of the Mann–Kendall trend tests (Yue & Wang 2004; Hamed & Rao 1998).",
    )


@section("hardship")
class Hardship(Section):
    """``[parameters.hardship]``: H2 hardship and H5 hot spots of the funnel battery."""

    split: dt.date | None = _key(None, "H2/H5 compare remains before and from this date. None: the first intervention.")
    terrain_window_m: float = _key(
        270.0, "With a DEM, slope and ruggedness are averaged over this square around a record.", unit="m", gt=0
    )
    terrain_join_m: float = _key(
        100.0, "pcome-terrain covariates join a remains record within this distance.", unit="m", gt=0
    )
    environment_join_m: float = _key(
        3500.0, "The environment grid joins a record within this distance.", unit="m", gt=0
    )
    min_per_year: int = _key(20, "Years with fewer records are left out of the yearly trends.", ge=1)
    energy_segments: int = _key(4, "Border segments stratifying the energy-from-the-border rank test.", ge=1)
    short_pmi_days: float = _key(
        35.0,
        "H2 sensitivity 'short post-mortem interval': records whose post-mortem interval class ends at or below "
        "this many days (PCOME classes < 1 day, < 1 week, < 3 weeks, < 5 weeks: found within about a month).",
        unit="days",
        gt=0,
    )
    spatial_block_m: float = _key(
        25000.0, "Side of the square blocks of H2's spatial-block bootstrap interval.", unit="m", gt=0
    )
    corridor_min_records: int = _key(
        30, "A corridor gets its own H2 sensitivity estimate with at least this many records on each side.", ge=2
    )
    placebo_splits: tuple[dt.date, ...] | None = _key(
        None,
        "Placebo split dates of H2's sensitivity (each compares records on one side of the real split only). "
        "None: 4 and 2 years before the split and 4 years after it.",
    )


@section("h4")
class H4(Section):
    """``[parameters.h4]``: H4 deaths per encounter."""

    sectors: tuple[str, ...] | None = _key(
        None,
        "CBP areas of responsibility whose encounters are the "
        "denominator. None: Tucson Sector, or the one area the table holds.",
        min_items=1,
    )
    per: float = _key(100000.0, "H4 reports deaths per this many encounters.", gt=0)


@section("viewshed")
class Viewshed(Section):
    """``[parameters.viewshed]``: what a tower sees (H1, H3)."""

    target_height_m: float = _key(1.7, "Height above the ground of what is seen (a standing person).", unit="m", ge=0)
    curvature: bool = _key(True, "Correct lines of sight for the Earth's curvature.")
    refraction: float = _key(0.13, "Coefficient of atmospheric refraction.", ge=0, lt=1)


@section("displacement")
class Displacement(Section):
    """``[parameters.displacement]``: H1 coverage displacement."""

    bootstrap: int = _key(999, "Bootstrap resamples of H1 and H3.", ge=1)
    min_background: int = _key(10, "Fewest pre-deployment remains for the background test.", ge=1)
    radii_m: tuple[float, ...] | None = _key(
        None,
        "Radii of the cross-L function. None: 10 radii from 1/40 to 1/4 of the DEM's shorter side.",
        unit="m",
        gt=0,
        min_items=1,
    )


@section("routes")
class Routes(Section):
    """``[parameters.routes]``: H3 least-cost routes with and without coverage."""

    origins: int = _key(25, "Route origins evenly spaced along the border.", ge=3)
    destination: Literal["north_edge", "roads"] = _key("north_edge", "Where the routes go.")
    avoidance: float | Literal["impassable"] = _key(2.0, 'Cost multiplier of covered cells, or "impassable".', ge=1)
    sensitivity: bool = _key(
        True,
        "Recompute H3 and H3.fit under the variants of the walker (η 1.2, 1.8, 2.1; load 0 and 20 kg; the "
        'downhill model) and of the avoidance (1.5, 4, "impassable"): about 8 times the routing work of H3.',
    )


@section("cost")
class Cost(Section):
    """``[parameters.cost]``: the walker of the Pandolf (1977) energy model, with Santee (2001) downhill,
    and the weather and clothing of the water-loss model (``water``, litres: Pandolf–Santee metabolism in
    the human heat balance, sweat rate of Gonzalez et al. 2009; borderscape.geo.water), whose air
    temperature comes from the ``temperature`` layer (a climate raster, °C) or the environment grid's
    July maximum."""

    ALIASES: ClassVar[Mapping[str, str]] = {
        "W": "body_mass_kg",
        "L": "load_kg",
        "V": "speed_m_s",
        "eta": "terrain_factor",
    }
    model: Literal["pandolf"] = _key("pandolf", "The cost model (the battery computes with Pandolf only).")
    body_mass_kg: float = _key(70.0, "Body mass W.", unit="kg", gt=0)
    load_kg: float = _key(0.0, "Load carried L.", unit="kg", ge=0)
    speed_m_s: float = _key(1.25, "Walking speed V.", unit="m/s", gt=0)
    terrain_factor: float = _key(
        1.0,
        "Terrain factor η (Soule & Goldman 1972: 1.0 blacktop, 1.1 dirt road, 1.2 light brush, "
        "1.5 heavy brush, 1.8 swampy bog, 2.1 loose sand).",
        gt=0,
    )
    downhill: Literal["santee", "continuous"] = _key(
        "santee",
        'Downhill correction: "santee" as published (Santee et al. 2001; a near-flat descent then costs '
        'about 7 % more than flat ground), or "continuous": the same capped at the level rate between 0 % '
        "and the grade of its minimum, so continuous at zero grade (borderscape.geo.costmodels; the measured "
        "shape of Minetti et al. 2002).",
    )
    body_height_m: float = _key(
        1.70,
        "Body height, for the body surface area A_D of the water-loss model (DuBois & DuBois 1916; 70 kg and "
        "1.70 m give 1.81 m²).",
        unit="m",
        gt=0.5,
        le=2.5,
    )
    relative_humidity: float = _key(
        0.20,
        "Relative humidity of the air of the water-loss model, a fraction: 0.20 is a Sonoran-desert summer "
        "afternoon before the monsoon (an assumption; H2 also reports 0.10 and 0.40).",
        unit="fraction",
        ge=0,
        le=1,
    )
    clothing_clo: float = _key(
        0.6,
        "Intrinsic clothing insulation of the water-loss model: 0.6 clo is trousers and a long-sleeved shirt "
        "(ISO 9920 / ASHRAE 55 garment tables).",
        unit="clo",
        ge=0,
        le=2,
    )
    wind_m_s: float = _key(
        0.0,
        "Wind speed of the water-loss model, combined in quadrature with the walking speed (0: still air; "
        "Gonzalez et al. 2009 derived their equation for 0.4-2.5 m/s of air movement).",
        unit="m/s",
        ge=0,
        le=20,
    )
    solar_w_m2: float = _key(
        0.0,
        "Absorbed solar heat per m² of body surface, added to the required evaporation (Gonzalez et al. 2012): "
        "0 is shade or night, so litres are a lower bound for daytime walking; H2 and H3 also report 150 W/m² "
        "(an assumed midday load in full sun).",
        unit="W/m²",
        ge=0,
        le=500,
    )
    temperature_month: int | None = _key(
        None,
        "The month (1 = January) of the temperature layer: the band read from a 12-band climate raster, or "
        "the month a one-band raster holds, stated in every water-loss result. None: a one-band raster's month "
        "is unstated; without a temperature layer the environment grid's July maximum is used (month 7 only).",
        unit="month",
        ge=1,
        le=12,
    )


@dataclass(frozen=True)
class DepartureCoast:
    """A departure coast: the land shorelines inside ``bbox`` ([west, south, east, north], degrees)."""

    name: str
    bbox: BBox


@section("maritime")
class Maritime(Section):
    """``[parameters.maritime]``: the maritime battery (M1 … M6)."""

    routes: tuple[Route, ...] = _key(("central",), "Sea routes of the crossings table.", min_items=1)
    iom_routes: tuple[str, ...] | None = _key(
        None, "IOM migration_route names kept from the deaths layer. None: those of the routes."
    )
    departure_coasts: tuple[DepartureCoast, ...] = _key((), "Departure coasts (distances from them).")
    window_months: int = _key(24, "Months each side of an intervention.", unit="months", ge=1)
    exclude_years: tuple[int, ...] = _key((), "Years of the crossings table not to use.", ge=1900, le=2100)
    target_height_m: float = _key(2.0, "Height of a small boat above the sea (coastal radar coverage).", unit="m", ge=0)
    hotspot_permutations: int = _key(
        9999,
        'M5 Gi* conditional randomisations when [parameters.statistics] hotspot_inference is "permutation" '
        "(0: analytical p-values).",
        ge=0,
    )
    lacking: Mapping[MaritimeRole, str] = _key(
        FrozenMap(), "Role → what the region lacks; opens the reason of every result skipped for want of that role."
    )
    denominator: Literal["attempted", "arrivals"] = _key(
        "attempted",
        'M1\'s denominator: "attempted" = arrivals + interceptions + dead and missing (the IOM definition; '
        'windows are cut at the denominator breaks of [[periods.shocks]]), or "arrivals" = arrivals + dead and '
        "missing (no interceptions: consistent where interceptions enter the compilation mid-series; the breaks "
        "then do not cut). The other one is reported as a sensitivity variant.",
    )
    change_periods: tuple[dt.date, ...] | None = _key(
        None,
        "M1.change, the primary: three dates [start, split, end): the rate in the months from start to the "
        "split against the months from the split to end. None: the first intervention (month-rounded) with at "
        "least [parameters.statistics] min_months months of data on each side within window_months, crossing no "
        "denominator break.",
    )
    min_per_month: int = _key(
        3, "M2 trends: months with fewer located events are left out of the monthly medians.", ge=1
    )
    aerial_lags: tuple[int, ...] = _key(
        (1, 2),
        "M6: lags of aerial surveillance activity tested as its secondary family (Benjamini–Hochberg within M6); "
        "the primary uses the same month (lag 0). Only earlier months' activity: nothing looks forward in time.",
        unit="months",
        ge=1,
        le=12,
    )

    def __post_init__(self) -> None:
        p = self.change_periods
        if p is not None and (len(p) != 3 or not (p[0] < p[1] < p[2])):
            raise StudyError(
                "study key 'parameters.maritime.change_periods' must be three increasing dates "
                f"[start, split, end], got {[d.isoformat() for d in p]}",
                remedy='e.g. change_periods = ["2016-07-01", "2018-07-01", "2020-07-01"], or remove it',
            )


SECTIONS: dict[str, type[Section]] = {
    c.NAME: c for c in (Statistics, Hardship, H4, Viewshed, Displacement, Routes, Cost, Maritime)
}


@dataclass(frozen=True)
class Parameters(Mapping[str, Section]):
    """Every ``[parameters.<section>]`` table of a study, typed (``params.statistics.confidence``).

    Also a read-only mapping section name → section.
    """

    statistics: Statistics = field(default_factory=Statistics)
    hardship: Hardship = field(default_factory=Hardship)
    h4: H4 = field(default_factory=H4)
    viewshed: Viewshed = field(default_factory=Viewshed)
    displacement: Displacement = field(default_factory=Displacement)
    routes: Routes = field(default_factory=Routes)
    cost: Cost = field(default_factory=Cost)
    maritime: Maritime = field(default_factory=Maritime)

    @classmethod
    def from_mapping(cls, tables: Any, battery: str, path: str = "parameters") -> Parameters:
        """The parameters of a ``[parameters]`` table (sections as tables or :class:`Section`) of a
        study of ``battery``; a section the battery does not read is an error."""
        if isinstance(tables, Parameters):
            tables = tables.given(battery)
        reads = BATTERY_SECTIONS[battery]
        check_keys(tables, list(SECTIONS), path, "[parameters]")
        # a section at its defaults (e.g. from ``{**study.parameters, ...}``) says nothing: drop it
        tables = {n: t for n, t in tables.items() if not (isinstance(t, Section) and t == type(t)())}
        for name in tables:
            if name not in reads:
                raise StudyError(
                    f"study key '{path}.{name}' is a section the {battery} battery does not read",
                    remedy=f"remove it; the {battery} battery reads " + ", ".join(f"[parameters.{s}]" for s in reads),
                )
        return cls(
            **{
                name: SECTIONS[name].from_mapping(table, f"{path}.{name}")  # type: ignore[arg-type]
                for name, table in tables.items()
            }
        )

    def given(self, battery: str) -> dict[str, Section]:
        """The sections read by ``battery``, and any other that differs from its defaults."""
        return {name: s for name, s in self.items() if name in BATTERY_SECTIONS.get(battery, ()) or s != type(s)()}

    def __getitem__(self, name: str) -> Section:
        if name not in SECTIONS:
            raise KeyError(name)
        section: Section = getattr(self, name)
        return section

    def __iter__(self) -> Iterator[str]:
        return iter(SECTIONS)

    def __len__(self) -> int:
        return len(SECTIONS)


def spec(section: str, key: str) -> dataclasses.Field[Any]:
    """The declaration of ``[parameters.<section>] key``; :class:`KeyError` when undeclared."""
    cls = SECTIONS.get(section)
    fields = {f.name: f for f in dataclasses.fields(cls)} if cls is not None else {}  # type: ignore[arg-type]
    if key not in fields:
        raise KeyError(
            f"[parameters.{section}] {key} is not declared in borderscape.analyses.params; declare it "
            f"there (type, default, unit, range) before reading it. Declared sections: "
            f"{', '.join(SECTIONS)}" + (f"; keys of {section}: {', '.join(fields)}" if fields else "")
        )
    return fields[key]


def schema() -> list[dict[str, Any]]:
    """Every declared key: section, key, type, default, unit, range and what it does."""
    return [
        {
            "section": name,
            "key": f.name,
            "type": str(f.type),
            "default": plain(f.default),
            "unit": f.metadata["unit"],
            "range": _range(f.metadata),
            "doc": f.metadata["doc"],
        }
        for name, cls in SECTIONS.items()
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    ]
