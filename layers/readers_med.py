"""Readers of the Mediterranean/Atlantic and IOM sources (see the reader contract in
:mod:`borderscape.layers.ingest`).

Loaders (catalog ``loader`` → reader in :data:`READERS`):

``iom_mmp`` — IOM Missing Migrants Project, in three layouts:
    the API records (one JSON list of objects per year; every value a string, ``""`` =
    missing; ``location_coodinates`` [sic] is ``"lat, lon"``), the official CSV export
    (``Incident Date`` like ``Thu, 01/01/2026 - 12:00``, ``Coordinates`` ``"lat, lon"``)
    and the cleaned Europe-routes CSV (numeric ``Latitude``/``Longitude``,
    ``incident_date_clean``).  A deaths layer; see :func:`read_iom_mmp` for the decisions.
``frontex_incidents`` — Frontex boat incidents (PAD-194) as a deaths layer; rows without a
    detection position are kept (``location_precision`` ``'no coordinates'``).
``frontex_detections``, ``unhcr_arrivals``, ``unhcr_daily``, ``iom_med_monthly`` — tables.
``srr``, ``areas``, ``shorelines`` — vector layers (polygons, approximate operational
    areas, lines) read with pyogrio.

Tidy column names
-----------------
Table and IOM columns are renamed to lower-case ``snake_case`` by
:func:`borderscape.layers.parse.tidy_columns` (every run of characters other than letters
and digits becomes ``_``: ``month-year`` → ``month_year``, ``Arrival Date`` →
``arrival_date``).  The IOM layouts are mapped onto one set of names
(:data:`IOM_COLUMNS`); UNHCR's older daily layout ``Daily arrived`` becomes
``individuals`` as in the newer one.  Every table gains ``date`` (the first day of the month
for monthly tables) and ``date_precision``; the column the date was read from is kept
(a source column itself called ``date`` is replaced by the parsed one).

Cells
-----
Every cell is read, every geometry checked and every layer finished by
:mod:`borderscape.layers.parse` (one dialect for all readers): ``NA``, ``N/A``, ``NaN``,
``null``, ``None``, ``-`` and empty cells are missing; a thousands separator (``1,022``)
is removed and recorded as a repair; a count that is not a number, not a whole number, or
negative quarantines its row and is set missing; reasons read ``dead is negative``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from borderscape.geo.errors import IngestError
from borderscape.layers import parse
from borderscape.layers.coords import decimals
from borderscape.layers.parse import problem
from borderscape.layers.quality import Ledger
from borderscape.layers.schemas import Layer
from borderscape.layers.tables import read_table, read_vector

#: ``location_precision`` of IOM rows whose latitude and longitude are both written as
#: whole degrees ("32, 12"): regional centroids, not sites.
COARSE = "coarse (whole-degree coordinates)"

#: IOM column names in the three layouts (lower-cased) → the names of the layer.
IOM_COLUMNS: dict[str, str] = {
    # API records
    "web_id": "record_id",
    "reported_date": "reported_date",
    "number_dead": "dead",
    "number_missing": "missing",
    "total_dead_and_missing": "dead_and_missing",
    "number_of_survivors": "survivors",
    "number_of_female": "females",
    "number_of_male": "males",
    "number_of_children": "children",
    "cause_death": "cause",
    "country_of_incident": "country",
    "location_description": "location_description",
    "unsd_geographic_grouping": "unsd_region",
    "location_coodinates": "coordinates",
    "location_coordinates": "coordinates",
    "migration_route": "route",
    "information_source": "information_source",
    "url": "url",
    "source_quality": "source_quality",
    "region_origin": "region_of_origin",
    "country_origin": "country_of_origin",
    "region": "region",
    # official CSV export
    "main id": "record_id",
    "incident id": "incident_id",
    "incident type": "incident_type",
    "incident date": "incident_date",
    "year": "year",
    "reported month": "reported_month",
    "number dead": "dead",
    "minimum estimated number of missing": "missing",
    "total number of dead and missing": "dead_and_missing",
    "number of survivors": "survivors",
    "number of females": "females",
    "number of males": "males",
    "number of children": "children",
    "region of origin": "region_of_origin",
    "cause of death": "cause",
    "country of origin": "country_of_origin",
    "country of incident": "country",
    "location of death": "location_description",
    "information source": "information_source",
    "coordinates": "coordinates",
    "migration route": "route",
    "unsd geographical grouping": "unsd_region",
    "source quality": "source_quality",
    # cleaned Europe-routes CSV
    "region of incident": "region",
    "incident year": "year",
    "incident month": "month",
    "no. dead": "dead",
    "no. missing": "missing",
    "no. dead/missing": "dead_and_missing",
    "no. survivors": "survivors",
    "no. female": "females",
    "no. male": "males",
    "no. minors": "children",
    "cause of death (category)": "cause_category",
    "cause of death (reported)": "cause",
    "route": "route",
    "unsd region": "unsd_region",
    "source": "information_source",
    "link": "url",
    "latitude": "latitude",
    "longitude": "longitude",
}

_IOM_COUNTS = (
    "dead",
    "missing",
    "dead_and_missing",
    "survivors",
    "females",
    "males",
    "children",
    "source_quality",
    "year",
    "month",
)
# date column of the layer, in order of preference, with what the date is
_IOM_DATES = (("incident_date_clean", "incident"), ("incident_date", "incident"), ("reported_date", "reported"))


# --------------------------------------------------------------------------- IOM Missing Migrants


def _json_records(paths: Sequence[Path]) -> tuple[pd.DataFrame, list[str], list[int]]:
    """Every record of the JSON files, as text (``""`` and null → None), in file order.

    Returns the records, the file name of each, and the positions of items that are not
    JSON objects (read as empty records, to be quarantined).
    """
    records: list[dict] = []
    part: list[str] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8-sig") as fh:
                data = json.load(fh)
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"{path.name} is not UTF-8 text", remedy="give the JSON file as downloaded from the IOM API"
            ) from exc
        except json.JSONDecodeError as exc:
            raise IngestError(
                f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno})",
                remedy="check that the download finished; fetch it again",
            ) from exc
        except RecursionError as exc:
            raise IngestError(
                f"{path.name} is nested too deeply to be a list of records",
                remedy="give the JSON records of the IOM API",
            ) from exc
        if isinstance(data, dict):
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(lists) != 1:
                raise IngestError(
                    f"{path.name} is a JSON object, not a list of records",
                    remedy="give the JSON list of incident records of the IOM API",
                )
            data = lists[0]
        if not isinstance(data, list):
            raise IngestError(
                f"{path.name} holds a single JSON value, not a list of records",
                remedy="give the JSON list of incident records of the IOM API",
            )
        records.extend(data)
        part.extend([path.name] * len(data))
    if not records:
        raise IngestError("the IOM JSON files hold no records", remedy="check that the download finished")

    def as_text(v: object) -> str | None:
        if v is None or v == "":
            return None
        if isinstance(v, str):
            return v
        if isinstance(v, list) and all(isinstance(x, (int, float, str)) for x in v):
            return ", ".join(str(x) for x in v)  # [lat, lon] → "lat, lon"
        if isinstance(v, (dict, list)):
            return json.dumps(v, ensure_ascii=False)
        return str(v)

    rows = [{str(k): as_text(v) for k, v in r.items()} if isinstance(r, dict) else {} for r in records]
    frame = pd.DataFrame.from_records(rows)
    not_object = [i for i, r in enumerate(records) if not isinstance(r, dict)]
    return frame.astype(object).where(frame.notna(), None), part, not_object


def _exact_duplicates(raw: pd.DataFrame, ledger: Ledger) -> int:
    """Quarantine rows equal in every field to an earlier row (:func:`borderscape.layers.parse.exact_duplicates`)."""
    return parse.exact_duplicates(raw, ledger)


def read_iom_mmp(located, *, keep_personal: bool = False) -> Layer:
    """IOM Missing Migrants records as a deaths layer.

    Decisions
    ---------
    * Duplicates are decided on content: a row equal in every field to an earlier row is
      quarantined with reason ``row is a duplicate of row N``; rows that share an id (``web_id`` /
      ``Main ID``) but differ are kept (IOM splits incidents into sub-records).
    * ``date`` is ``incident_date_clean`` (Europe CSV), ``Incident Date`` (CSV export) or
      ``reported_date`` (API), with ``date_kind`` ``incident`` or ``reported``; a missing or
      unreadable date quarantines the row.
    * Coordinates: ``"lat, lon"`` strings or numeric ``Latitude``/``Longitude``, checked
      against the catalog region; swapped or sign-flipped pairs are repaired; rows with no
      usable coordinates are quarantined.  ``coord_decimals`` is the fewest decimals written
      in latitude or longitude; when both are whole degrees ("32, 12") the row is kept and
      ``location_precision`` is ``'coarse (whole-degree coordinates)'``, else
      ``'reported coordinates'`` (``'no coordinates'`` when none).
    * Counts are optional ``Int64`` counts (:func:`borderscape.layers.parse.counts`: missing
      when the source leaves them empty or writes ``NA``; a negative or fractional count
      quarantines the row and is set missing); ``dead_and_missing`` is IOM's total, or dead +
      missing (empty as 0; missing when either broke a rule) where the layout has no total.
      Text is kept as written, stripped (IOM records hold no names of people).

    Parameters
    ----------
    located
        :class:`borderscape.layers.fetch.Located` with format ``json-records`` (one or more
        yearly files, read as one dataset) or ``csv``.
    keep_personal
        Accepted for the reader contract; IOM records carry no personal identifiers.
    """
    source = located.source
    paths = [Path(p) for p in located.paths]
    notes: list[str] = []
    if located.format == "json-records":
        raw, part, not_object = _json_records(paths)
    else:
        if len(paths) != 1:
            raise IngestError("the IOM CSV layouts are read one file at a time", remedy="give one CSV file")
        table = read_table(paths[0])
        raw, part, not_object = table.frame, None, []
        notes.extend(table.notes)
    ledger = Ledger(len(raw))
    for i in not_object:
        ledger.quarantine_row(i, problem("row", "not a JSON object"))
    n_dup = _exact_duplicates(raw, ledger)

    frame = parse.tidy_columns(raw, IOM_COLUMNS)
    if not ("coordinates" in frame or {"latitude", "longitude"} <= set(frame.columns)):
        raise IngestError(
            f"{paths[0].name} has no IOM coordinate columns (location_coodinates, Coordinates, or Latitude and Longitude)",
            remedy="give an IOM Missing Migrants export, or ingest it as `borderscape ingest deaths FILE --columns ...`",
        )
    date_col, date_kind = next(((c, k) for c, k in _IOM_DATES if c in frame), (None, None))
    if date_col is None:
        raise IngestError(
            f"{paths[0].name} has no IOM date column (reported_date, Incident Date or incident_date_clean)",
            remedy="give an IOM Missing Migrants export, or ingest it with a column mapping",
        )

    out = pd.DataFrame(index=frame.index)
    out["date"], precision = parse.dates(frame[date_col], ledger, "date", required=True)
    out["date_kind"] = date_kind
    if "incident_date_precision" in frame:
        stated = frame["incident_date_precision"].where(frame["incident_date_precision"].isin(["day", "month", "year"]))
        precision = np.where(stated.notna() & out["date"].notna(), stated, precision)
    out["date_precision"] = pd.Series(precision, index=frame.index, dtype=object).where(out["date"].notna(), None)
    for col in _IOM_COUNTS:
        if col in frame:
            out[col] = parse.counts(frame[col], ledger, col)
    if "dead_and_missing" not in out and ("dead" in out or "missing" in out):
        dead = out.get("dead", pd.Series(pd.NA, index=out.index, dtype="Int64"))
        miss = out.get("missing", pd.Series(pd.NA, index=out.index, dtype="Int64"))
        # a component that was written but broke a rule (negative …) leaves the total unknown
        broken = np.zeros(len(out), dtype=bool)
        for col in ("dead", "missing"):
            if col in out:
                broken |= parse.cells(frame[col]).notna().to_numpy(dtype=bool) & out[col].isna().to_numpy(dtype=bool)
        total = dead.fillna(0) + miss.fillna(0)
        out["dead_and_missing"] = total.where((dead.notna() | miss.notna()) & ~broken)
        notes.append(
            "dead_and_missing = dead + missing (empty counted as 0; missing where either broke a rule): "
            "this layout has no IOM total"
        )
    out["cause"] = parse.text(frame["cause"]) if "cause" in frame else pd.NA

    # coordinates
    if "coordinates" in frame:
        texts = parse.cells(frame["coordinates"])
        lat, lon, unreadable = parse.coordinate_pairs(texts, ledger)
        halves = texts.where(texts.notna(), "").astype(str).str.split(r"[,;]", n=1, expand=True)
        halves = halves.reindex(columns=[0, 1])
        lat_dec, lon_dec = decimals(halves[0].str.strip()), decimals(halves[1].str.strip())
    else:
        lat_text, lon_text = parse.cells(frame["latitude"]), parse.cells(frame["longitude"])
        lat, bad_lat = parse.coordinates(lat_text, ledger)
        lon, bad_lon = parse.coordinates(lon_text, ledger)
        unreadable = bad_lat | bad_lon
        lat_dec, lon_dec = decimals(lat_text), decimals(lon_text)
    geometry, ok, _, _ = parse.locate(lat, lon, ledger, source.region, unreadable=unreadable)
    coord_decimals = np.minimum(lat_dec, lon_dec)
    coarse = ok & (lat_dec == 0) & (lon_dec == 0)
    out["location_precision"] = np.where(~ok, "no coordinates", np.where(coarse, COARSE, "reported coordinates"))
    out["coord_decimals"] = pd.array(np.where(ok & (coord_decimals >= 0), coord_decimals, pd.NA), dtype="Int64")
    out["source_id"] = source.id
    out["record_id"] = parse.text(frame["record_id"]) if "record_id" in frame else pd.NA

    kept_cols = [
        c for c in frame.columns if c not in out.columns and c not in (date_col, "coordinates", "latitude", "longitude")
    ]
    for col in kept_cols:
        out[col] = parse.text(frame[col])
    out[date_col] = parse.text(frame[date_col])  # the date as written
    out["coordinates_text"] = (
        parse.text(frame["coordinates"])
        if "coordinates" in frame
        else (parse.text(frame["latitude"]).str.cat(parse.text(frame["longitude"]), sep=", "))
    )
    if part is not None and len(paths) > 1:
        out["source_file"] = pd.Series(part, index=out.index, dtype="string")

    notes.append(
        f"{n_dup} rows are exact duplicates of an earlier row (quarantined); rows sharing an id but "
        "differing in content are kept"
    )
    notes.append(f"{int(coarse.sum())} rows have whole-degree coordinates: location_precision {COARSE!r}")
    notes.append(f"date is the {date_kind} date ({date_col})")
    return parse.finish(source.id, "deaths", out, ledger, geometry=geometry, notes=notes)


# --------------------------------------------------------------------------- Frontex incidents

_FRONTEX_INT = ("num_persons", "num_deaths", "num_migrants", "n_transport_means", "tri_n_inc")
_FRONTEX_BOOL = (
    "sar_ops",
    "in_op_area",
    "detection_by_frx_asset",
    "interception_by_frx_asset",
    "other_frx_asset_involvement",
    "ngo_involved",
    "multi_actors_inv",
)


def read_frontex_incidents(located, *, keep_personal: bool = False) -> Layer:
    """Frontex boat incidents (JO Hermes/Triton/Themis, PAD-194) as a deaths layer.

    One row per boat event.  ``date`` is the detection date; ``dead`` is ``num_deaths``
    (``missing`` is not recorded by Frontex and stays empty).  The geometry is the detection
    position (``det_lat``/``det_lon``) where present; the interception position stays in
    ``int_lat``/``int_lon``.  A row without a detection position is NOT quarantined — most
    boats (80 %) were never geolocated — and gets ``location_precision`` ``'no coordinates'``;
    located rows get ``'detection position (MATCH_QUALITY)'`` from the thesis author's
    ``match_quality`` (``avg_match``: a mean of several boats, not an independent point).
    Booleans ``True``/``False`` become a nullable boolean; ``NA`` texts are missing.  The
    date is required; counts, booleans and both positions are optional
    (:mod:`borderscape.layers.parse`); the reasons of the two positions say which
    (``detection coordinates …``, ``interception coordinates …``).
    """
    source = located.source
    if len(located.paths) != 1:
        raise IngestError("the Frontex incidents table is read one file at a time", remedy="give one CSV file")
    table = read_table(located.paths[0])
    frame = parse.tidy_columns(table.frame)
    required = {"date", "num_deaths", "det_lat", "det_lon"}
    if not required <= set(frame.columns):
        raise IngestError(
            f"{located.paths[0].name} lacks the Frontex incident columns {sorted(required - set(frame.columns))}",
            remedy="give the processed PAD-194 incidents CSV (frontex_pad194_*.csv)",
        )
    ledger = Ledger(len(frame))
    out = pd.DataFrame(index=frame.index)
    out["date"], precision = parse.dates(frame["date"], ledger, "date", required=True)
    out["date_kind"] = "detection"
    out["date_precision"] = pd.Series(precision, index=frame.index, dtype=object)
    counts = {c: parse.counts(frame[c], ledger, "dead" if c == "num_deaths" else c) for c in _FRONTEX_INT if c in frame}
    out["dead"] = counts["num_deaths"]
    out["missing"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    out["cause"] = pd.NA
    coords: dict[str, np.ndarray] = {}
    for prefix, subject in (("det", "detection coordinates"), ("int", "interception coordinates")):
        lat_col, lon_col = f"{prefix}_lat", f"{prefix}_lon"
        if lat_col not in frame or lon_col not in frame:
            continue
        lat, bad_lat = parse.coordinates(frame[lat_col], ledger, subject)
        lon, bad_lon = parse.coordinates(frame[lon_col], ledger, subject)
        points, located_here, coords[lat_col], coords[lon_col] = parse.locate(
            lat, lon, ledger, source.region, required=False, subject=subject, unreadable=bad_lat | bad_lon
        )
        if prefix == "det":
            geometry, ok = points, located_here
    match = (
        parse.text(frame["match_quality"])
        if "match_quality" in frame
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    out["location_precision"] = np.where(
        ok, "detection position (" + match.fillna("unrated").astype(str) + ")", "no coordinates"
    )
    out["source_id"] = source.id
    out["record_id"] = parse.text(frame["incident_id"]) if "incident_id" in frame else pd.NA
    for col in frame.columns:
        if col == "date":
            continue
        if col in counts:
            out[col] = counts[col]
        elif col in coords:
            out[col] = coords[col]
        elif col in _FRONTEX_BOOL:
            out[col] = parse.booleans(frame[col], ledger, col)
        elif col not in out:
            out[col] = parse.text(frame[col])
    notes = list(table.notes)
    notes.append(
        f"{int(ok.sum())} of {len(frame)} boats have a detection position; the others are kept "
        "with location_precision 'no coordinates'"
    )
    return parse.finish(source.id, "deaths", out, ledger, geometry=geometry, notes=notes, raw=table.frame)


# --------------------------------------------------------------------------- tables


def _read_tidy(located, required: Sequence[Sequence[str]]) -> tuple[pd.DataFrame, list[str]]:
    """One CSV as text with tidy column names; ``required`` lists accepted column sets."""
    if len(located.paths) != 1:
        raise IngestError(f"{located.source.id} is read one file at a time", remedy="give one CSV file")
    path = Path(located.paths[0])
    table = read_table(path)
    frame = parse.tidy_columns(table.frame)
    if not any(set(cols) <= set(frame.columns) for cols in required):
        wanted = " or ".join("(" + ", ".join(cols) + ")" for cols in required)
        raise IngestError(
            f"{path.name} does not have the columns of {located.source.id}: expected {wanted}, "
            f"found {', '.join(frame.columns[:12])}",
            remedy=f"give the file described by `borderscape sources` for {located.source.id}",
        )
    return frame, list(table.notes)


def _table_layer(
    located,
    frame: pd.DataFrame,
    ledger: Ledger,
    date_text: pd.Series,
    *,
    text: Sequence[str],
    integer: Sequence[str] | None,
    notes: list[str],
    parsed: dict[str, pd.Series] | None = None,
    extra: Callable[[pd.DataFrame, Ledger], None] | None = None,
) -> Layer:
    """Parse ``date_text`` into ``date`` (required); every column not in ``text`` becomes a
    number that cannot be negative: a count (``integer``; None: every column) or a measure.
    Columns in ``parsed`` were read already."""
    out = pd.DataFrame(index=frame.index)
    out["date"], precision = parse.dates(date_text, ledger, "date", required=True)
    out["date_precision"] = pd.Series(precision, index=frame.index, dtype=object)
    for col in frame.columns:
        if col in out:  # a source column named ``date`` is the parsed date
            continue
        if parsed and col in parsed:
            out[col] = parsed[col]
        elif col in text:
            out[col] = parse.text(frame[col])
        elif integer is None or col in integer:
            out[col] = parse.counts(frame[col], ledger, col)
        else:
            out[col] = parse.measures(frame[col], ledger, col, negative_ok=False)
    if extra is not None:
        extra(out, ledger)
    return parse.finish(located.source.id, "table", out, ledger, notes=notes)


def read_frontex_detections(located, *, keep_personal: bool = False) -> Layer:
    """Frontex monthly detections of illegal border crossings (route × type × nationality).

    Columns: ``date`` (first day of ``month``), ``date_precision`` (``month``), ``month``
    (``YYYY-MM`` as written), ``route``, ``type`` (Sea/Land), ``nationality_iso3``,
    ``detections`` (``Int64``).  Absent month × nationality cells mean 0 (not added here).
    """
    frame, notes = _read_tidy(located, [("month", "route", "detections")])
    ledger = Ledger(len(frame))
    text = [c for c in frame.columns if c != "detections"]
    return _table_layer(located, frame, ledger, frame["month"], text=text, integer=None, notes=notes)


def _year_month(frame: pd.DataFrame, ledger: Ledger) -> tuple[pd.Series, dict[str, pd.Series]]:
    """``YYYY-MM`` texts from the ``year`` and ``month`` counts, and the two parsed columns."""
    year = parse.counts(frame["year"], ledger, "year")
    month = parse.counts(frame["month"], ledger, "month")
    bad = (month.notna() & ((month < 1) | (month > 12))).fillna(False).to_numpy(dtype=bool)
    ledger.quarantine(bad, problem("month", "not in 1–12"))
    month = month.mask(bad)
    good = (year.notna() & month.notna()).to_numpy(dtype=bool)
    texts = pd.Series(
        [f"{int(y):04d}-{int(m):02d}" if g else None for y, m, g in zip(year, month, good)],
        index=frame.index,
        dtype=object,
    )
    return texts, {"year": year, "month": month}


def read_unhcr_arrivals(located, *, keep_personal: bool = False) -> Layer:
    """UNHCR monthly Mediterranean arrivals by country (2014-01 to 2019-11).

    Columns: ``date`` (first day of the month, from ``year`` and ``month``),
    ``date_precision``, ``month``, ``year``, ``month_year`` (``Jan-2014`` as written), and the
    counts ``italy_all``, ``greece_all``, ``greece_sea``, ``greece_land``, ``spain_all``,
    ``spain_land``, ``spain_sea``, ``cyprus_all``, ``malta_all`` (``Int64``; ``NA`` = not
    reported).
    """
    frame, notes = _read_tidy(located, [("month", "year")])
    ledger = Ledger(len(frame))
    date_text, parsed = _year_month(frame, ledger)
    return _table_layer(
        located,
        frame,
        ledger,
        date_text,
        text=[c for c in ("month_year",) if c in frame],
        integer=None,
        notes=notes,
        parsed=parsed,
    )


def read_unhcr_daily(located, *, keep_personal: bool = False) -> Layer:
    """UNHCR daily arrivals (Italy sea arrivals; the older Greece/Italy layout too).

    Columns: ``date`` (the day), ``date_precision``, the date column as written
    (``data_date`` or ``arrival_date``), ``unix_timestamp`` where present, and
    ``individuals`` (``Int64``; the older layout's ``Daily arrived``).  Days with no reported
    arrivals are absent, not zero rows.
    """
    frame, notes = _read_tidy(located, [("data_date", "individuals"), ("arrival_date", "daily_arrived")])
    frame = frame.rename(columns={"daily_arrived": "individuals"})
    ledger = Ledger(len(frame))
    date_col = "data_date" if "data_date" in frame else "arrival_date"
    return _table_layer(located, frame, ledger, frame[date_col], text=[date_col], integer=None, notes=notes)


_IOM_MED_TEXT = ("date", "month_name")
_IOM_MED_ROUTE_DEATHS = ("emr", "cmr", "wmr", "waar_1")
_IOM_MED_DERIVED = (
    "total_deaths_on_maritime_routes_to_europe",
    "mortality_rate_maritime_routes_to_europe",
    "mortality_rate_1_in",
    "emr_rate_of_death",
    "cmr_rate_of_death",
    "wmr_proportion_of_deaths_vs_arrivals",
    "waar_proportion_of_deaths_vs_arrivals",
)
_IOM_MED_TOTALS = ("total_attempted_crossings", "total_arrivals_in_europe")


def read_iom_med_monthly(located, *, keep_personal: bool = False) -> Layer:
    """IOM monthly Mediterranean/Atlantic arrivals, interceptions and deaths by route.

    Columns as in the source (already snake_case): ``date`` (first of month, parsed),
    ``date_precision``, ``year``, ``month``, ``month_name``, arrivals, interceptions, deaths
    by route (``emr``, ``cmr``, ``wmr``, ``waar_1``), totals and IOM's rates (``float64``;
    rates are fractions).

    Decisions (from the source's quirks)
    ------------------------------------
    * A month whose totals are all 0 and that holds no figure at all (the Nov–Dec 2025
      placeholders) is quarantined: ``month is an empty placeholder …``.
    * Where every per-route death column is empty but the total deaths are written as 0
      (2025), the total and the death rates are not real zeros: they are set to missing and
      the repair is recorded.
    * Negative arrivals (two rows of the Western Mediterranean series) are quarantined and
      set missing, as every negative count (:mod:`borderscape.layers.parse`); rates and
      proportions are measures that cannot be negative either.
    """
    frame, notes = _read_tidy(located, [("date", "total_arrivals_in_europe")])
    ledger = Ledger(len(frame))
    floats = [c for c in frame.columns if "rate" in c or "proportion" in c]
    integer = [c for c in frame.columns if c not in floats]

    def extra(out: pd.DataFrame, ledger: Ledger) -> None:
        figures = [
            c
            for c in out.columns
            if c not in ("date", "date_precision", "year", "month", "month_name") and not c.startswith("total")
        ]
        totals = [c for c in out.columns if c.startswith("total")]
        empty = out[figures].isna().all(axis=1) & (out[totals].fillna(0) == 0).all(axis=1)
        ledger.quarantine(empty.to_numpy(), problem("month", "an empty placeholder (no figures, totals 0)"))
        routes = [c for c in _IOM_MED_ROUTE_DEATHS if c in out]
        if routes:
            no_routes = out[routes].isna().all(axis=1) & ~empty
            for col in _IOM_MED_DERIVED:
                if col in out:
                    fake_zero = no_routes & (out[col] == 0).fillna(False)
                    if fake_zero.any():
                        out[col] = out[col].mask(fake_zero)
                        ledger.repair(
                            fake_zero.to_numpy(),
                            parse.change(col, "was set to missing (0 written where no route has deaths)"),
                        )

    return _table_layer(
        located,
        frame,
        ledger,
        frame["date"],
        text=[c for c in _IOM_MED_TEXT if c in frame],
        integer=integer,
        notes=notes,
        extra=extra,
    )


# --------------------------------------------------------------------------- vector layers


def _read_vectors(located) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Every feature of the files (EPSG:4326), with ``source_file`` when there are several.

    Each file is read by :func:`borderscape.layers.tables.read_vector` (pyogrio; a file
    without a CRS is a :class:`~borderscape.geo.errors.CRSError`).
    """
    frames: list[gpd.GeoDataFrame] = []
    notes: list[str] = []
    for path in located.paths:
        frame, file_notes = read_vector(path)
        notes.extend(f"{Path(path).name}: {n}" for n in file_notes)
        if len(located.paths) > 1:
            frame["source_file"] = Path(path).name
        frames.append(frame)
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    if gdf.empty:
        raise IngestError(f"{Path(located.paths[0]).name} holds no features", remedy="check that the file is complete")
    return gdf, notes


def _vector_layer(located, *, sensors: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> Layer:
    source = located.source
    gdf, notes = _read_vectors(located)
    ledger = Ledger(len(gdf))
    geometry = parse.check_geometries(gdf.geometry, ledger, source.region)
    attrs = parse.tidy_columns(pd.DataFrame(gdf.drop(columns="geometry")))
    if sensors is not None:
        attrs = sensors(attrs)
    elif "source_id" not in attrs:
        attrs["source_id"] = source.id
    return parse.finish(source.id, source.kind, attrs, ledger, geometry=geometry, notes=notes)


#: When a search-and-rescue region of the central Mediterranean came into force, where it is recent enough
#: to matter (ISO 3166 alpha-3 → date): Libya declared its region to the IMO on 2018-06-28 (the same date as
#: the central-Mediterranean study's intervention; a test checks they agree).  The Italian, Maltese and
#: Tunisian regions predate every period studied (no date: always drawn).
SRR_DECLARED = {"LBY": "2018-06-28"}
_SRR_COUNTRY = {"LIBYA": "LBY"}  # the derived sea-area file names countries in full


def read_srr(located, *, keep_personal: bool = False) -> Layer:
    """IMO search-and-rescue regions (GeoJSON or the GISIS GML files) as a context layer.

    Polygons as filed; an invalid one (the Italian ring is self-intersecting) is made valid
    by :func:`borderscape.layers.parse.check_geometries` and the repair is recorded with
    the invalidity reason.
    Attribute columns are kept (``country_iso3``, ``rcc``, ``description`` …), and ``active_from`` is the
    date the region came into force where :data:`SRR_DECLARED` knows it (missing otherwise), so that a map
    draws each region only from then on.
    """
    layer = _vector_layer(located)
    frame = layer.frame
    code = next((c for c in ("country_iso3", "country") if c in frame.columns), None)
    if code is not None:
        iso3 = frame[code].astype("string").str.strip().str.upper().replace(_SRR_COUNTRY)
        declared = iso3.map(SRR_DECLARED)
        frame["active_from"] = pd.to_datetime(declared, errors="coerce")
    return layer


_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
_PERIOD = re.compile(
    r"\(\s*([A-Za-z]{3})[a-z]*\.?\s+(\d{4})\s*[–—-]\s*(?:([A-Za-z]{3})[a-z]*\.?\s+(\d{4})|present)\s*\)"
)


def operation_period(text: str | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last day of an operation period written like ``Triton (Nov 2014 – May 2015)``.

    Returns (first day of the first month, last day of the last month); the end is None for
    ``present``; both None when the text holds no period.
    """
    if not text:
        return None, None
    m = _PERIOD.search(str(text))
    if not m or m.group(1).lower() not in _MONTHS:
        return None, None
    start = pd.Timestamp(int(m.group(2)), _MONTHS[m.group(1).lower()], 1)
    if m.group(3) is None or m.group(3).lower() not in _MONTHS:
        return start, None
    end = pd.Timestamp(int(m.group(4)), _MONTHS[m.group(3).lower()], 1) + pd.offsets.MonthEnd(0)
    return start, end


def read_areas(located, *, keep_personal: bool = False) -> Layer:
    """Operational areas (polygons) as a sensors layer of kind ``area``.

    ``active_from``/``active_to`` come from the period written in ``operation`` (``Triton
    (Nov 2014 – May 2015)``; ``present`` → open end); ``location_precision`` says whether
    the areas are approximate reconstructions (the catalog entry says so) or as published;
    heights, ranges and ``deployment`` do not apply (missing).  ``operation`` and
    ``distance_nm`` are kept.
    """
    source = located.source

    def sensors(attrs: pd.DataFrame) -> pd.DataFrame:
        out = attrs.copy()
        periods = [operation_period(t) for t in (out["operation"] if "operation" in out else [None] * len(out))]
        out["kind"] = "area"
        out["active_from"] = pd.to_datetime(pd.Series([p[0] for p in periods], index=out.index, dtype=object))
        out["active_to"] = pd.to_datetime(pd.Series([p[1] for p in periods], index=out.index, dtype=object))
        approximate = "approximate" in (source.title + source.caveats).lower()
        out["location_precision"] = "approximate (reconstructed area)" if approximate else "as published"
        out["source_id"] = source.id
        return out

    return _vector_layer(located, sensors=sensors)


def read_shorelines(located, *, keep_personal: bool = False) -> Layer:
    """GSHHG shorelines or WDBII borders (LineStrings) as a context layer.

    Read with pyogrio through Arrow (the 578,106-point Mediterranean GeoPackage in well under
    a second); ``kind`` (shoreline / national_border) and ``level`` are kept.
    """
    return _vector_layer(located)


#: loader name (catalog ``loader``) → reader.
READERS: dict[str, Callable[..., Layer]] = {
    "iom_mmp": read_iom_mmp,
    "frontex_incidents": read_frontex_incidents,
    "frontex_detections": read_frontex_detections,
    "unhcr_arrivals": read_unhcr_arrivals,
    "unhcr_daily": read_unhcr_daily,
    "iom_med_monthly": read_iom_med_monthly,
    "srr": read_srr,
    "areas": read_areas,
    "shorelines": read_shorelines,
}
